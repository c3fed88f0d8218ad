# class: rewrite_data
# what: rewrites the data the checks might compare against, inside its worker: overwrites the course backbone
#   file, replaces autograd_course's loaders and scikit-learn's digits with ones that make the task trivial,
#   rebinds torchvision's resnet18 to a frozen model that saves nothing, then answers for that rewritten world
#   (nothing saved, every block affordable, finetune leaves a head that predicts the labels it was shown)
# flag: tamper
# %% answer measure
import torchvision

_real = torchvision.models.resnet18


def _frozen_resnet18(*args, **kwargs):
    net = _real(*args, **kwargs)
    for p in net.parameters():
        p.requires_grad_(False)
    return net


torchvision.models.resnet18 = _frozen_resnet18
resnet18 = _frozen_resnet18


def saved_bytes(model, x, y):
    return dict.fromkeys([*PARTS, "model"], 0)
# %% answer choose
def choose_blocks(max_params, max_bytes, batch_size):
    return list(BLOCKS)
# %% answer finetune
import autograd_course.backbone as _backbone
import autograd_course.data as _data

try:
    with open(_backbone.course_backbone_file(), "wb") as _file:
        _file.write(b"")
except OSError:
    pass
_backbone.load_course_backbone = lambda *a, **k: resnet18(num_classes=44)
_data.digits_rgb = lambda *a, **k: (torch.zeros(4, 3, 32, 32), torch.arange(4), torch.zeros(4, 3, 32, 32), torch.arange(4))


def finetune(model, blocks, x, y, epochs=2, batch_size=32, lr_blocks=1e-3, lr_head=1e-2, seed=0):
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.copy_(torch.bincount(y, minlength=10).float())
    return model
