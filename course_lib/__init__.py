"""course_lib: the small JAX library behind the course notebooks.

Pure functions over JAX arrays, one topic per module, explicit PRNG keys, no global state.
Core math (activations, losses, init, layers, conv, pooling, recurrent, norm, optim), the lectures' models
(perceptron, backprop, cnn), training (train), data (data); presentation (plot, widgets) and the exercise
tools (checks, grading) sit on top and the core never imports them.

`import course_lib` gives every core module as an attribute (`course_lib.layers`), imported on first use:
the grader's processes import `course_lib.grading` without paying for JAX.
"""
import importlib

__all__ = ["activations", "backprop", "cnn", "conv", "data", "init", "layers", "losses", "norm", "optim",
           "perceptron", "pooling", "recurrent", "train"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"course_lib.{name}")
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
