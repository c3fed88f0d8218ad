# class: mode_swap
# what: answers frozen finetuning with full finetuning and eval mode with train mode: the head is swapped
#   but nothing is frozen, the features come from the model in train() mode (BatchNorm uses and updates
#   the batch's statistics) and with autograd on, and every parameter that requires grad is trained.
# flag: none
# %% answer freeze
def freeze_and_replace_head(model, num_classes=10):
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


model = freeze_and_replace_head(model)
# %% answer features
def extract_features(model, x, batch_size=256):
    head = model.fc
    model.fc = nn.Identity()
    model.train()
    feats = torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    model.fc = head
    return feats.detach()


features_train = extract_features(model, x_train)
features_test = extract_features(model, x_test)
