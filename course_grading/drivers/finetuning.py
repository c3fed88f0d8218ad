"""finetuning: call the student's functions on the grader's configurations (runs in the torch worker).

The models are built here from torchvision (a randomly initialised resnet18 for the byte counts, whose
numbers depend on shapes only) or from the course backbone file the grader binds into the box. What
goes back is plain data: byte counts, block names, arrays. The grader decides.
"""

_BACKBONE = []  # the course backbone, loaded once per worker


def _block_of(name):
    if name.startswith(("conv1.", "bn1.")):
        return "stem"
    if name.startswith("fc."):
        return "head"
    return ".".join(name.split(".")[:2])


def _backbone():
    import copy

    if not _BACKBONE:
        from autograd_course.backbone import load_course_backbone

        _BACKBONE.append(load_course_backbone(build=False, verbose=False))
    return copy.deepcopy(_BACKBONE[0])


def _plain_int(value):
    """An int as the grader reads it; anything else goes back as its type's name (a wrong answer)."""
    import numpy as np

    if type(value) is int:
        return value
    if isinstance(value, (np.integer, float)) or getattr(value, "numel", lambda: 0)() == 1:
        return float(value)
    return type(value).__name__


def measure(ns, cases):
    """saved_bytes on a resnet18 whose parameters listed in the case require grad (the rest are frozen)."""
    import torch
    from torchvision.models import resnet18

    out = []
    for case in cases:
        try:
            torch.manual_seed(case["seed"])
            model = resnet18(num_classes=10).eval()
            trainable = set(case["trainable"])
            for name, p in model.named_parameters():
                p.requires_grad_(name in trainable)
            x = torch.randn(case["batch"], 3, case["size"], case["size"])
            y = torch.randint(0, 10, (case["batch"],))
            got = ns["saved_bytes"](model, x, y)
            out.append({str(k): _plain_int(v) for k, v in dict(got).items()})
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def choose(ns, cases):
    """choose_blocks for each budget: the names it returns (anything that is not a str becomes None)."""
    out = []
    for case in cases:
        try:
            got = ns["choose_blocks"](case["max_params"], case["max_bytes"], case["batch"])
            out.append([str.__str__(b) if isinstance(b, str) else None for b in list(got)])
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def cache(ns, cases):
    """block_input on the course backbone (in the mode the case says) for the grader's images."""
    import numpy as np
    import torch

    out = []
    for case in cases:
        try:
            model = _backbone()
            model.train(case["train_mode"])
            x = torch.from_numpy(np.ascontiguousarray(case["x"], dtype=np.float32))
            got = ns["block_input"](model, case["first"], x, case["batch_size"])
            out.append(np.asarray(got.detach().cpu() if isinstance(got, torch.Tensor) else got, dtype=np.float32))
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out


def finetune(ns, cases):
    """finetune the course backbone with the grader's head; send back the chosen blocks' and the head's weights."""
    import numpy as np
    import torch
    from torch import nn

    out = []
    for case in cases:
        try:
            model = _backbone()
            model.fc = nn.Linear(512, 10)
            with torch.no_grad():
                model.fc.weight.copy_(torch.from_numpy(np.asarray(case["head_weight"], dtype=np.float32)))
                model.fc.bias.copy_(torch.from_numpy(np.asarray(case["head_bias"], dtype=np.float32)))
            model.train()  # as torchvision hands a model over: every parameter requires grad, train() mode
            x = torch.from_numpy(np.ascontiguousarray(case["x"], dtype=np.float32))
            y = torch.from_numpy(np.asarray(case["y"], dtype=np.int64))
            blocks = list(case["blocks"])
            result = ns["finetune"](model, blocks, x, y, **case["kwargs"])
            net = result if isinstance(result, nn.Module) else model
            wanted = set(blocks) | {"head"}
            out.append({name: p.detach().cpu().float().numpy() for name, p in net.named_parameters()
                        if _block_of(name) in wanted})
        except Exception as exc:  # noqa: BLE001
            out.append(type(exc).__name__)
    return out
