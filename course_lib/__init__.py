"""course_lib: the small JAX library behind the course notebooks.

Pure functions over JAX arrays, one topic per module, explicit PRNG keys, no global state.
Core math (activations, losses, init, layers, conv, pooling, recurrent, norm, optim), the lectures' models
(perceptron, backprop, cnn), training (train), data (data); presentation (plot, widgets) and the exercise
tools (checks, grading) sit on top and the core never imports them.
"""
from course_lib import (activations, backprop, cnn, conv, data, init, layers, losses, norm, optim, perceptron,
                        pooling, recurrent, train)

__all__ = ["activations", "backprop", "cnn", "conv", "data", "init", "layers", "losses", "norm", "optim",
           "perceptron", "pooling", "recurrent", "train"]
__version__ = "0.1.0"
