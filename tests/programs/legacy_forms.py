# Old-style PyTorch (0.3 era): Variable, size_average=, F.sigmoid, .cuda() guards, threads.
import torch
import torch.nn.functional as F
from torch.autograd import Variable

torch.set_num_threads(1)
print("threads:", torch.get_num_threads())
torch.manual_seed(1)

use_cuda = torch.cuda.is_available()
x = Variable(torch.Tensor([[1.0], [2.0], [3.0]]))
y = Variable(torch.Tensor([[0.0], [0.0], [1.0]]))
w = Variable(torch.randn(1, 1), requires_grad=True)
b = Variable(torch.zeros(1), requires_grad=True)
if use_cuda:
    x, y = x.cuda(), y.cuda()

criterion = torch.nn.BCELoss(size_average=False)
for step in range(200):
    y_pred = F.sigmoid(x.mm(w) + b)
    loss = criterion(y_pred, y)
    loss.backward()
    w.data -= 0.1 * w.grad.data
    b.data -= 0.1 * b.grad.data
    w.grad.data.zero_()
    b.grad.data.zero_()
    if step % 50 == 0:
        print("step", step, "loss %.4f" % loss.data.item())

print("w %.4f b %.4f" % (w.data[0, 0].item(), b.data[0].item()))
print("tanh of scores:", [round(v, 4) for v in F.tanh(x.mm(w) + b).data.view(-1).tolist()])
print("predictions:", (F.sigmoid(x.mm(w) + b) > 0.5).float().view(-1).tolist())
