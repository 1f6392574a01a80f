"""course_lib: the small JAX library behind the course notebooks.

Pure functions over JAX arrays, one topic per module, explicit PRNG keys, no global state.
Core math (activations, losses, init, layers, optim), training (train), data (data); presentation
(plot, widgets) and the exercise tools (checks, grading) sit on top and the core never imports them.
"""
from course_lib import activations, data, init, layers, losses, optim, perceptron, train

__all__ = ["activations", "data", "init", "layers", "losses", "optim", "perceptron", "train"]
__version__ = "0.1.0"
