# class: mode_swap
# what: answers eval() mode with train() mode, as a model comes from torchvision: saved_bytes counts a train()
#   forward (BatchNorm then saves the batch's statistics), block_input runs the frozen beginning in train() mode
#   (BatchNorm normalizes with each batch's statistics and moves its running ones), and finetune trains in train()
#   mode; the decision is left unwritten
# flag: none
# %% answer measure
def saved_bytes(model, x, y):
    model.train()
    owned = {t.untyped_storage().data_ptr() for t in itertools.chain(model.parameters(), model.buffers())}
    totals = dict.fromkeys([*PARTS, "model"], 0)
    seen = set()
    running = ["stem"]

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in seen:
            seen.add(storage.data_ptr())
            totals["model" if storage.data_ptr() in owned else running[0]] += storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        h = x
        for running[0], part in parts(model):
            h = part(h)
        F.cross_entropy(h, y)
    return totals
# %% answer cache
def block_input(model, first, x, batch_size=256):
    chain = parts(model)
    model.train()
    with torch.no_grad():
        h = x
        for name, part in chain:
            if name == first:
                break
            h = part(h)
    return h
# %% answer finetune
def finetune(model, blocks, x, y, epochs=2, batch_size=32, lr_blocks=1e-3, lr_head=1e-2, seed=0):
    set_trainable(model, blocks).train()
    body = [p for name, p in model.named_parameters() if p.requires_grad and block_of(name) != "head"]
    optimizer = torch.optim.Adam([{"params": body, "lr": lr_blocks},
                                  {"params": list(model.fc.parameters()), "lr": lr_head}])
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed + epoch))
        for rows in order.split(batch_size):
            loss = F.cross_entropy(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model
