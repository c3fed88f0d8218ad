# class: honest
# flag: review
# what: a correct answer by other routes: saved_bytes runs the model's own forward and learns which part is
#   running from forward pre-hooks, and sorts storages into the model's and the rest only at the end;
#   choose_blocks measures the ten earliest-block configurations at 1 and 2 images, extrapolates (the bytes grow
#   by the same amount per image), and for each affordable earliest block picks the best subset of the blocks after
#   it; block_input catches the part's input with a pre-hook during the model's own forward, one chunk at a time;
#   finetune caches under inference_mode and clones the cache outside it, runs the rest part by part, names its
#   parameter groups by dictionary and cuts the order with split()
# %% answer measure
def saved_bytes(model, x, y):
    firsts = {"stem": model.conv1, "head": model.avgpool}
    for name, module in parts(model)[1:-1]:
        firsts[name] = module
    state = {"part": None}
    handles = [module.register_forward_pre_hook(lambda m, args, name=name: state.update(part=name))
               for name, module in firsts.items()]
    first_saved_by = {}  # storage pointer -> (bytes, part)

    def remember(t):
        s = t.untyped_storage()
        first_saved_by.setdefault(s.data_ptr(), (s.nbytes(), state["part"]))
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(remember, lambda t: t):
            logits = model(x)
            state["part"] = "head"
            loss = torch.nn.CrossEntropyLoss()(logits, y)
    finally:
        for handle in handles:
            handle.remove()
    del loss
    mine = set()
    for t in list(model.parameters()) + list(model.buffers()):
        mine.add(t.untyped_storage().data_ptr())
    answer = {name: 0 for name in PARTS}
    answer["model"] = 0
    for pointer, (size, part) in first_saved_by.items():
        answer["model" if pointer in mine else part] += int(size)
    return answer
# %% answer choose
_TABLES = {}


def _table():
    """Per earliest trainable block: (bytes per image, fixed bytes), measured at 1 and 2 images."""
    if not _TABLES:
        net = resnet18(num_classes=10).eval()
        at = {}
        for n in (1, 2):
            xs, ys = torch.zeros(n, 3, 32, 32), torch.zeros(n, dtype=torch.long)
            for first in ["none", *BLOCKS]:
                counts = saved_bytes(set_trainable(net, [] if first == "none" else [first]), xs, ys)
                at[first, n] = sum(v for k, v in counts.items() if k != "model")
        for first in ["none", *BLOCKS]:
            _TABLES[first] = (at[first, 2] - at[first, 1], 2 * at[first, 1] - at[first, 2])
        _TABLES["sizes"] = {b: sum(p.numel() for n, p in net.named_parameters() if block_of(n) == b) for b in PARTS}
    return _TABLES


def choose_blocks(max_params, max_bytes, batch_size):
    table = _table()
    sizes_ = table["sizes"]
    room = max_params - sizes_["head"]
    if room < 0:
        return []
    best, best_n = [], 0
    for k, first in enumerate(BLOCKS):
        per_image, fixed = table[first]
        if per_image * batch_size + fixed > max_bytes or sizes_[first] > room:
            continue
        later = BLOCKS[k + 1:]
        for mask in range(2 ** len(later)):
            extra = [b for j, b in enumerate(later) if mask >> j & 1]
            n = sizes_[first] + sum(sizes_[b] for b in extra)
            if n <= room and n > best_n:
                best, best_n = [first, *extra], n
    return best
# %% answer cache
def block_input(model, first, x, batch_size=256):
    target = {"stem": model.conv1, "head": model.avgpool}
    target.update({name: module for name, module in parts(model)[1:-1]})
    caught = []
    handle = target[first].register_forward_pre_hook(lambda m, args: caught.append(args[0]))
    mode = model.training
    try:
        model.eval()
        with torch.no_grad():
            for chunk in torch.split(x, batch_size):
                model(chunk)
    finally:
        handle.remove()
        model.train(mode)
    return torch.cat(caught, dim=0)
# %% answer finetune
def finetune(model, blocks, x, y, epochs=2, batch_size=32, lr_blocks=1e-3, lr_head=1e-2, seed=0):
    set_trainable(model, blocks)
    model.eval()
    chain = parts(model)
    start = len(chain) - 1
    for k, (name, _) in enumerate(chain):
        if name in blocks:
            start = k
            break
    with torch.inference_mode():
        h = x
        for _, part in chain[:start]:
            h = part(h)
    cache = h.clone()  # outside inference mode: an ordinary tensor, which a convolution may save
    named = dict(model.named_parameters())
    groups = {"blocks": [], "head": []}
    for name, p in named.items():
        if p.requires_grad:
            groups["head" if block_of(name) == "head" else "blocks"].append(p)
    optimizer = torch.optim.Adam([{"params": groups["head"], "lr": lr_head},
                                  {"params": groups["blocks"], "lr": lr_blocks}])
    for epoch in range(epochs):
        shuffle = torch.Generator()
        shuffle.manual_seed(seed + epoch)
        for rows in torch.randperm(len(x), generator=shuffle).split(batch_size):
            h = cache[rows]
            for _, part in chain[start:]:
                h = part(h)
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(h, y[rows]).backward()
            optimizer.step()
    return model
