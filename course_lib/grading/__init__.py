"""Instructor tools: student notebooks generated from solutions/, and (course-grade) grading.

The exercise format is a strict subset of nbgrader's (schema version 3); see format.py.
"""
import sys

# nbformat validates with jsonschema, which imports rfc3987_syntax whenever it is installed (jupyter-events
# asks for it) to check "iri" strings, a format no notebook schema uses; that import builds a parser and
# costs about 1.7 s in every grading process. Marked absent here, jsonschema skips that one check.
sys.modules.setdefault("rfc3987_syntax", None)

from course_lib.grading.format import FormatError, Question, questions  # noqa: E402
from course_lib.grading.release import release, release_notebook  # noqa: E402

__all__ = ["FormatError", "Question", "questions", "release", "release_notebook"]
