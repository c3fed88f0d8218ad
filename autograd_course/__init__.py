"""Course helpers that are not about drawing: offline data sets and the resnet18 backbone.

``autograd_course.data.digits_rgb`` gives a real 10-class image data set with no
download; ``autograd_course.backbone.load_backbone`` gives a torchvision resnet18
with ImageNet weights when they are cached, else one the course pretrains itself.
"""

from . import backbone, data
from .backbone import load_backbone
from .data import digits_rgb

__all__ = ["backbone", "data", "digits_rgb", "load_backbone"]
