"""Instructor tools: student notebooks generated from solutions/, and (course-grade) grading.

The exercise format is a strict subset of nbgrader's (schema version 3); see format.py.
"""
from course_lib.grading.format import FormatError, Question, questions
from course_lib.grading.release import release, release_notebook

__all__ = ["FormatError", "Question", "questions", "release", "release_notebook"]
