"""Hidden checks of `finetuning`: what to unfreeze in resnet18, measured, decided and trained.

Everything runs in the `torch` worker; what comes back is plain data and is judged here, against the
grader's own model, measurements and data:

* Part 1 (`saved_bytes`): byte counts on configurations the student has not seen (blocks, single
  parameters, nothing at all; other batch sizes and image sizes) must equal the grader's own count.
  The grader counts with forward pre-hooks on the real `model.forward`, not with the notebook's
  `parts()`, so the two routes check each other. Byte counts depend on shapes only: exact on every
  machine.
* Part 2 (`choose_blocks`): hidden budgets and batch sizes. The grader measures the student's choice
  itself (with its own model and count), and compares the parameters it trains with the best choice,
  found by enumerating all 512 sets of blocks with the grader's measured costs. Those costs rest on a
  fact checked here on every run: the activation bytes of a set equal those of its earliest block.
  All budgets together get CHOOSE_SECONDS: measuring 10 sets per budget takes a few seconds, measuring
  all 512 per budget several minutes.
* Part 3 (`block_input`, `finetune`): the course backbone file is bound read-only into the worker.
  Block inputs are compared with the grader's (hooks on its own copy, `eval()` mode). Training is
  checked twice: short runs with hidden hyperparameters are replayed here step by step (a plain
  full forward per step, no cache) and the weights compared; a real run on the grader's own split of
  the digits must classify the grader's held-out digits. Only the chosen blocks' and the head's
  weights come back: the rest of the model the grader evaluates is its own, so a frozen parameter
  changed in the worker changes nothing here.
"""

from __future__ import annotations

import copy
import functools
import itertools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet18

from course_grading.points import Checks, GraderError, Grading, Items

checks = Checks("finetuning", feedback_env=None)  # the whole notebook trains: no feedback run

BLOCKS = ["stem", "layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1"]
PARTS = [*BLOCKS, "head"]
CHOOSE_SECONDS = 120  # all budgets together: ten measurements per call take 2-15 s here, 512 take minutes
ACCURACY = 0.85  # the reference reaches 0.91-0.95 on five splits with each of two course backbones (seeds 0, 1)


def _block_of(name: str) -> str:
    if name.startswith(("conv1.", "bn1.")):
        return "stem"
    if name.startswith("fc."):
        return "head"
    return ".".join(name.split(".")[:2])


def _names(blocks, model: nn.Module | None = None) -> list[str]:
    """Parameter names of `blocks` and the head (what `set_trainable` lets train)."""
    model = model or _shapes_model()
    wanted = set(blocks) | {"head"}
    return [name for name, _ in model.named_parameters() if _block_of(name) in wanted]


@functools.cache
def _shapes_model() -> nn.Module:
    torch.manual_seed(0)
    return resnet18(num_classes=10).eval()


@functools.cache
def _sizes() -> dict[str, int]:
    sizes = dict.fromkeys(PARTS, 0)
    for name, p in _shapes_model().named_parameters():
        sizes[_block_of(name)] += p.numel()
    return sizes


# ---- the grader's own count: hooks on the real forward ---------------------------------------------------
def _count(model: nn.Module, batch: int, size: int = 32) -> dict[str, int]:
    """Bytes of distinct storages saved for backward in one forward + cross-entropy, by the part that saved
    each first; storages of parameters and buffers under "model"."""
    model_storages = {t.untyped_storage().data_ptr() for t in [*model.parameters(), *model.buffers()]}
    result = dict.fromkeys([*PARTS, "model"], 0)
    counted: set[int] = set()
    current = {"part": "stem"}
    handles = []
    starts = [("stem", model.conv1), ("head", model.avgpool)]
    starts += [(f"layer{i}.{j}", getattr(model, f"layer{i}")[j]) for i in (1, 2, 3, 4) for j in (0, 1)]
    for part, module in starts:
        handles.append(module.register_forward_pre_hook(lambda _m, _a, part=part: current.update(part=part)))

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in counted:
            counted.add(storage.data_ptr())
            result["model" if storage.data_ptr() in model_storages else current["part"]] += storage.nbytes()
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            F.cross_entropy(model(torch.zeros(batch, 3, size, size)), torch.zeros(batch, dtype=torch.long))
    finally:
        for h in handles:
            h.remove()
    return result


def _configured(trainable_names) -> nn.Module:
    model = _shapes_model()
    names = set(trainable_names)
    for name, p in model.named_parameters():
        p.requires_grad_(name in names)
    return model


def _as_int(value) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise ValueError("not an integer")


# ---- Part 1 ------------------------------------------------------------------------------------------------
def _measure_cases(rng) -> list[dict]:
    model = _shapes_model()
    blocks = [[], ["layer4.1"], ["stem"], ["layer2.0", "layer4.0"], ["layer1.1"], ["layer3.0", "layer3.1"],
              list(BLOCKS), ["layer2.1"]]
    configs = [_names(b, model) for b in blocks]
    configs += [["layer2.1.bn2.weight", "fc.weight", "fc.bias"],  # one BatchNorm scale pulls in all after it
                ["layer3.0.downsample.0.weight"],  # the head frozen too
                ["layer1.0.conv2.weight", "layer4.1.bn1.bias"],
                []]  # nothing trains: nothing is saved
    cases = []
    for n, trainable in enumerate(configs):
        cases.append({"trainable": trainable, "batch": rng.choice([1, 2, 3, 5, 7]),
                      "size": rng.choice([32, 32, 40, 64]) if n else 32, "seed": rng.randrange(1000)})
    return cases


@checks.add("test_measure", points=3)
def measure(g: Grading) -> list[Items]:
    cases = _measure_cases(g.rng(601))
    reply = g.worker("torch", ["given", "measure"]).call("measure", cases, seconds=120)
    parts = g.items("activations by part", weight=2)
    model_bytes = g.items("the 'model' entry")
    for case, got in g.each(reply, cases):
        want = _count(_configured(case["trainable"]), case["batch"], case["size"])
        ok_keys = isinstance(got, dict) and set(got) == set(want)
        with parts.case("activation bytes by part differ from the grader's count for some configurations (each "
                        "storage once, its full size, under the part whose forward saved it first; the loss is "
                        "part of 'head')"):
            assert ok_keys, "keys"
            assert all(_as_int(got[p]) == want[p] for p in PARTS)
        with model_bytes.case("the 'model' entry (saved storages of parameters and buffers) differs from the "
                              "grader's count for some configurations"):
            assert ok_keys, "keys"
            assert _as_int(got["model"]) == want["model"]
    return [parts, model_bytes]


# ---- Part 2 ------------------------------------------------------------------------------------------------
def _costs(batch: int, check: bool) -> dict[str | None, int]:
    """Activation bytes (everything saved but the model's own storages) when `first` is the earliest block that
    trains, measured; with `check`, also the fact the enumeration rests on, on one more set per earliest block."""
    costs = {}
    for first in [None, *BLOCKS]:
        counted = _count(_configured(_names([first] if first else [])), batch)
        costs[first] = sum(counted.values()) - counted["model"]
    for n, first in enumerate(BLOCKS[:-1] if check else []):
        later = BLOCKS[n + 1 + (n % 2)::2]  # some of the blocks after it
        counted = _count(_configured(_names([first, *later])), batch)
        if sum(counted.values()) - counted["model"] != costs[first]:
            raise GraderError("the activation bytes of a set of blocks are not those of its earliest block")
    return costs


def _best(max_params: int, max_bytes: int, costs) -> int:
    sizes = _sizes()
    best = -1
    for r in range(len(BLOCKS) + 1):
        for chosen in itertools.combinations(BLOCKS, r):
            n = sizes["head"] + sum(sizes[b] for b in chosen)
            if n <= max_params and costs[chosen[0] if chosen else None] <= max_bytes:
                best = max(best, n)
    return best


# (trainable parameters, span): span s allows the earliest block BLOCKS[-s] and the blocks after it (0: only the
# head; 9: any block). The best sets: mostly not a run of last blocks, and mostly not affordable when the cost of
# a set is taken as the sum of its blocks' costs.
BUDGETS = [(150_000, 7), (150_000, 9), (400_000, 7), (400_000, 8), (400_000, 5), (1_000_000, 7), (1_000_000, 0),
           (2_000_000, 5), (2_000_000, 6), (2_000_000, 9), (6_000_000, 1), (6_000_000, 5), (6_000_000, 3)]


def _budget_cases(rng, costs) -> list[dict]:
    """Hidden budgets at three batch sizes: bytes never within 2% of a threshold, parameters in the middle half of
    the gap between two sets' counts."""
    sums = sorted({_sizes()["head"] + sum(_sizes()[b] for b in chosen)
                   for r in range(len(BLOCKS) + 1) for chosen in itertools.combinations(BLOCKS, r)})
    batches = sorted(costs)
    cases = []
    for n, (params, span) in enumerate(BUDGETS):
        batch = batches[n % len(batches)]
        steps = [costs[batch][None], *(costs[batch][b] for b in reversed(BLOCKS)), 2 * costs[batch]["stem"]]
        max_bytes = rng.randint(int(steps[span] * 1.02), int(steps[span + 1] * 0.98))
        above = next(k for k, s in enumerate(sums) if s > params)  # params lies between two sums of the sets
        low, high = sums[above - 1], sums[above]
        max_params = rng.randint(low + (high - low) // 4, high - (high - low) // 4)
        cases.append({"max_params": max_params, "max_bytes": max_bytes, "batch": batch})
    return cases


@checks.add("test_choose", points=3)
def choose(g: Grading) -> list[Items]:
    costs = {batch: _costs(batch, check=batch == 3) for batch in (3, 24, 64)}
    cases = _budget_cases(g.rng(602), costs)
    worker = g.worker("torch", ["given", "measure", "choose"], substitute=["measure"])
    reply = worker.call("choose", cases, seconds=CHOOSE_SECONDS)
    sizes = _sizes()
    within = g.items("a valid choice within both budgets, training at least 90% of the best choice's parameters")
    best = g.items("the best choice: the most trainable parameters within both budgets", weight=2)
    for case, got in g.each(reply, cases):
        top = _best(case["max_params"], case["max_bytes"], costs[case["batch"]])
        trains = measured = None
        if isinstance(got, list) and all(b in BLOCKS for b in got) and len(set(got)) == len(got):
            trains = sizes["head"] + sum(sizes[b] for b in got)
            counted = _count(_configured(_names(got)), case["batch"])
            measured = sum(counted.values()) - counted["model"]
        fits = trains is not None and trains <= case["max_params"] and measured <= case["max_bytes"]
        with within.case("some answers are not a list of distinct names from BLOCKS, are over a budget (parameters "
                         "with the head's, or activation bytes measured by the grader), or train far fewer "
                         "parameters than they could"):
            assert fits and trains >= 0.9 * top
        with best.case("within the budgets, but another set of blocks trains more parameters (any set counts, "
                       "not only the last blocks)"):
            assert fits and trains == top
    return [within, best]


# ---- Part 3 ------------------------------------------------------------------------------------------------
def _backbone_file():
    from autograd_course.backbone import course_backbone_file

    path = course_backbone_file()
    if not path.is_file():
        raise GraderError(f"no course backbone at {path}: run `python -m autograd_course backbone` before grading")
    return path


@functools.cache
def _backbone() -> nn.Module:
    from autograd_course.backbone import load_course_backbone

    _backbone_file()
    return load_course_backbone(build=False, verbose=False).eval()


def _backbone_worker(g: Grading, cells, substitute=()):
    path = _backbone_file()
    return g.worker("torch", cells, substitute, files=(str(path),),
                    variables={"AUTOGRAD_COURSE_CACHE": str(path.parent)}, wall_seconds=420)


@functools.cache
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from autograd_course.data import digits_rgb

    x_a, y_a, x_b, y_b = digits_rgb(size=32, seed=0)
    return torch.cat([x_a, x_b]), torch.cat([y_a, y_b])


def _split(seed: int, n_train: int):
    x, y = _digits()
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    return x[order[:n_train]], y[order[:n_train]], x[order[n_train:]], y[order[n_train:]]


def _inputs(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The input of every part, captured by pre-hooks on the model's own forward (eval mode, no graph)."""
    seen = {}
    modules = [("stem", model.conv1), ("head", model.avgpool)]
    modules += [(f"layer{i}.{j}", getattr(model, f"layer{i}")[j]) for i in (1, 2, 3, 4) for j in (0, 1)]
    handles = [m.register_forward_pre_hook(lambda _m, a, part=part: seen.setdefault(part, a[0]))
               for part, m in modules]
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in handles:
            h.remove()
    return seen


@checks.add("test_block_input", points=1.5)
def block_input(g: Grading) -> Items:
    rng = g.rng(603)
    x, _, _, _ = _split(603, 600)
    firsts = ["stem", "layer1.0", "layer2.1", "layer3.0", "layer4.1", "head", "layer1.1"]
    cases = []
    for n, first in enumerate(firsts):
        start = rng.randrange(0, 500)
        cases.append({"first": first, "x": x[start:start + rng.choice([37, 64, 100])].numpy(),
                      "train_mode": n % 2 == 0, "batch_size": rng.choice([16, 50, 256])})
    reply = _backbone_worker(g, ["given", "cache"]).call("cache", cases, seconds=120)
    items = g.items("block_input")
    model = _backbone()
    for case, got in g.each(reply, cases):
        with items.case("the input a part receives differs from what the model's own forward (in eval() mode) "
                        "passes to it, for some parts, batch sizes or models handed over in train() mode"):
            want = _inputs(model, torch.from_numpy(case["x"]))[case["first"]].numpy()
            assert isinstance(got, np.ndarray) and got.shape == want.shape and np.all(np.isfinite(got))
            assert np.allclose(got, want, rtol=1e-4, atol=1e-4)
    return items


def _replay(blocks, case) -> dict[str, np.ndarray]:
    """The training `finetune` specifies, done plainly: the whole model's forward at every step, no cache."""
    model = copy.deepcopy(_backbone())
    model.fc = nn.Linear(512, 10)
    with torch.no_grad():
        model.fc.weight.copy_(torch.from_numpy(case["head_weight"]))
        model.fc.bias.copy_(torch.from_numpy(case["head_bias"]))
    wanted = set(blocks) | {"head"}
    for name, p in model.named_parameters():
        p.requires_grad_(_block_of(name) in wanted)
    model.eval()
    kw = case["kwargs"]
    body = [p for name, p in model.named_parameters() if p.requires_grad and _block_of(name) != "head"]
    groups = [{"params": list(model.fc.parameters()), "lr": kw["lr_head"]}]
    if body:
        groups.append({"params": body, "lr": kw["lr_blocks"]})
    optimizer = torch.optim.Adam(groups)
    x, y = torch.from_numpy(case["x"]), torch.from_numpy(case["y"])
    for epoch in range(kw["epochs"]):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(kw["seed"] + epoch))
        for rows in order.split(kw["batch_size"]):
            optimizer.zero_grad()
            F.cross_entropy(model(x[rows]), y[rows]).backward()
            optimizer.step()
    return {name: p.detach().numpy() for name, p in model.named_parameters() if _block_of(name) in wanted}


def _received(got, blocks) -> dict[str, np.ndarray]:
    """The chosen blocks' and the head's weights from the worker, checked against the model's shapes."""
    shapes = {name: tuple(p.shape) for name, p in _shapes_model().named_parameters()}
    wanted = _names(blocks)
    if not isinstance(got, dict) or sorted(got) != sorted(wanted):
        raise ValueError("not the chosen blocks' parameters")
    out = {}
    for name in wanted:
        value = got[name]
        if not isinstance(value, np.ndarray) or value.shape != shapes[name] or not np.all(np.isfinite(value)):
            raise ValueError("wrong shape or not finite")
        out[name] = value.astype(np.float32)
    return out


def _accuracy(weights: dict[str, np.ndarray], x: torch.Tensor, y: torch.Tensor) -> float:
    """Held-out accuracy of the grader's own backbone with the received weights put in (eval mode, no graph)."""
    model = copy.deepcopy(_backbone())
    model.fc = nn.Linear(512, 10)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(torch.from_numpy(value))
        return (model.eval()(x).argmax(1) == y).double().mean().item()


@checks.add("test_finetune", points=2.5)
def finetune(g: Grading) -> list[Items]:
    rng = g.rng(604)
    x_small, y_small, _, _ = _split(6041, 64)
    gen = torch.Generator().manual_seed(6042)
    replays = []
    for blocks, kwargs in ((["layer1.1", "layer3.0"], {"epochs": 2, "batch_size": 24}),
                           (["stem", "layer4.0"], {"epochs": 1, "batch_size": 20}),
                           ([], {"epochs": 2, "batch_size": 64})):
        head = nn.Linear(512, 10)
        with torch.no_grad():
            head.weight.copy_(torch.randn(10, 512, generator=gen) * 0.04)
            head.bias.copy_(torch.randn(10, generator=gen) * 0.04)
        kwargs = {**kwargs, "lr_blocks": rng.choice([2e-3, 3e-3]), "lr_head": rng.choice([5e-3, 2e-2]),
                  "seed": rng.randrange(100)}
        replays.append({"blocks": blocks, "x": x_small.numpy(), "y": y_small.numpy(), "kwargs": kwargs,
                        "head_weight": head.weight.detach().numpy(), "head_bias": head.bias.detach().numpy()})
    x_train, y_train, x_test, y_test = _split(rng.randrange(10**6), 800)
    torch.manual_seed(rng.randrange(10**6))
    head = nn.Linear(512, 10)
    real = {"blocks": ["layer2.1", "layer3.1"], "x": x_train.numpy(), "y": y_train.numpy(), "kwargs": {},
            "head_weight": head.weight.detach().numpy(), "head_bias": head.bias.detach().numpy()}
    worker = _backbone_worker(g, ["given", "cache", "finetune"], substitute=["cache"])
    replayed = g.items("the training, step by step (short runs with other hyperparameters, replayed by the grader)")
    for case, got in g.each(worker.call("finetune", replays, seconds=180), replays):
        with replayed.case("after a short run the chosen blocks' or the head's weights differ from the grader's replay "
                           "of the training finetune specifies (eval() mode, the cache's cut, Adam with the two "
                           "learning rates, the batch order, every step)"):
            mine = _received(got, case["blocks"])
            start = dict(_backbone().named_parameters())
            for name, want in _replay(case["blocks"], case).items():
                if name == "fc.weight":
                    init = case["head_weight"]
                elif name == "fc.bias":
                    init = case["head_bias"]
                else:
                    init = start[name].detach().numpy()
                assert np.linalg.norm(mine[name] - want) <= 0.01 * np.linalg.norm(want - init) + 1e-7
    accurate = g.items(f"a real run on the grader's digits: at least {ACCURACY:.0%} of its held-out digits right")
    for case, got in g.each(worker.call("finetune", [real], seconds=300), [real]):
        with accurate.case("the finetuned model (the grader's backbone with your blocks and head put in) classifies "
                           f"fewer than {ACCURACY:.0%} of the grader's held-out digits correctly"):
            assert _accuracy(_received(got, case["blocks"]), x_test, y_test) >= ACCURACY
    return [replayed, accurate]
