"""A small LeNet on synthetic 3-channel images, written with the 60-minute blitz's idioms."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
rng = np.random.default_rng(0)
classes = ("bar", "cross", "dot", "ring")


def make_images(n):
    labels = rng.integers(0, 4, n)
    images = rng.normal(0, 0.3, (n, 3, 16, 16)).astype(np.float32)
    for img, label in zip(images, labels, strict=True):
        if label == 0:
            img[:, 6:10, :] += 1.0
        elif label == 1:
            img[:, 7:9, :] += 1.0
            img[:, :, 7:9] += 1.0
        elif label == 2:
            img[:, 6:10, 6:10] += 1.5
        else:
            img[:, 3:13, 3:13] += 1.0
            img[:, 5:11, 5:11] -= 1.0
    return images, labels


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
train_x, train_y = make_images(512)
for epoch in range(4):
    running_loss = 0.0
    for i in range(0, 512, 16):
        inputs, labels = torch.from_numpy(train_x[i : i + 16]), torch.from_numpy(train_y[i : i + 16])
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"loss {epoch} {running_loss / 32:.6f}")

test_x, test_y = make_images(200)
correct = 0
total = 0
with torch.no_grad():
    outputs = net(torch.tensor(test_x))
    _, predicted = torch.max(outputs, 1)
    total += len(test_y)
    correct += (predicted == torch.tensor(test_y)).sum().item()
print(f"accuracy {100 * correct // total}")
