"""Lecture 4, the exercise done: draw the graph, tell the backward pass, train, plot.
第 4 讲的练习：画出计算图，逐步讲解反向传播，训练模型，画出损失曲线。

The model of the lecture is y_hat = w1 * x**2 + w2 * x + b, with the loss (y_hat - y)**2,
trained by SGD one sample at a time, exactly as the lecture's program does.
模型是 y_hat = w1 * x**2 + w2 * x + b，损失 (y_hat - y)**2，和讲义的程序一样逐个样本做 SGD。

It writes, into the folder given by --out (default: the current folder):
它会在 --out 指定的目录（默认当前目录）里写出：
    graph.svg      the computational graph of one sample, with values and gradients
                   一个样本的计算图，带数值和梯度
    backprop.html  a page that steps through that backward pass (open it in a browser)
                   逐步演示这次反向传播的网页（用浏览器打开）
    loss.png       the loss curve, if matplotlib is installed
                   损失曲线（需要 matplotlib）

Run:  python examples/lecture04_backprop.py [--lang zh] [--out DIR]
"""
import argparse
import os

import ember as torch
from ember import viz

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--lang", choices=["en", "zh"], default="en",
                    help="language of the explanation / 讲解的语言")
parser.add_argument("--out", default=".", help="folder for graph.svg, backprop.html, loss.png")
parser.add_argument("--epochs", type=int, default=100)
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

x_data = [1.0, 2.0, 3.0]
y_data = [2.0, 4.0, 6.0]

# The weights, each a leaf tensor that requires grad (the lecture starts them all at 1.0).
# 权重：都是需要梯度的叶子张量（讲义里都从 1.0 开始）。
w1 = torch.tensor([1.0], requires_grad=True)
w2 = torch.tensor([1.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)


def forward(x):
    return w1 * x ** 2 + w2 * x + b


def loss(x, y):                      # builds the computational graph / 构建计算图
    y_pred = forward(x)
    return (y_pred - y) ** 2


# -- 1. one sample, seen: its graph and its backward pass ---------------------------------------
# -- 1. 看清一个样本：它的计算图和反向传播 ---------------------------------------------------------
x, y = 2.0, 4.0
y_hat = forward(x)                   # named variables get their names in the picture
l = (y_hat - y) ** 2                 # 有名字的变量在图里显示它们的名字

# Explain BEFORE l.backward(): backward() frees the values saved in the graph, explain needs
# them. explain and draw run their own pass and leave w1.grad etc. untouched.
# 要在 l.backward() 之前讲解：backward() 会释放图中保存的中间值，而讲解需要它们。
# explain 和 draw 自己跑一遍反向传播，不会改动 w1.grad 等。
print(viz.explain(l, lang=args.lang))
svg_path = viz.draw(l).render(os.path.join(args.out, "graph.svg"))
page_path = viz.backward_page(l, lang=args.lang).save(os.path.join(args.out, "backprop.html"))
print("graph written to", svg_path)
print("step-by-step page written to", page_path)

# Now the real backward pass: the leaves' .grad get exactly the numbers explained above.
# 现在真正的反向传播：叶子的 .grad 得到的正是上面讲解的数值。
l.backward()
print("autograd:", "w1.grad =", w1.grad.item(), " w2.grad =", w2.grad.item(),
      " b.grad =", b.grad.item())
for p in (w1, w2, b):
    p.grad.data.zero_()              # gradients add up: clear them / 梯度会累加：先清零

# -- 2. training, as the lecture does ------------------------------------------------------------
# -- 2. 和讲义一样训练 -------------------------------------------------------------------------------
print("\nPredict (before training)", 4, forward(4).item())
losses = []
for epoch in range(args.epochs):
    epoch_loss = 0.0
    for x, y in zip(x_data, y_data):
        l = loss(x, y)
        l.backward()
        w1.data = w1.data - 0.01 * w1.grad.data   # update outside the graph / 在图外更新
        w2.data = w2.data - 0.01 * w2.grad.data
        b.data = b.data - 0.01 * b.grad.data
        w1.grad.data.zero_()
        w2.grad.data.zero_()
        b.grad.data.zero_()
        epoch_loss += l.item()
    losses.append(epoch_loss / len(x_data))
    if epoch % 20 == 0 or epoch == args.epochs - 1:
        print(f"Epoch {epoch:3d}  mean loss {losses[-1]:.6f}")
print("Predict (after training)", 4, forward(4).item())
print(f"w1 = {w1.item():.4f}, w2 = {w2.item():.4f}, b = {b.item():.4f}")

# -- 3. the loss curve (matplotlib is optional) -------------------------------------------------
# -- 3. 损失曲线（matplotlib 是可选的）--------------------------------------------------------------
try:
    import matplotlib
    matplotlib.use("Agg")                 # write a file, open no window / 只写文件，不开窗口
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: skipping loss.png (pip install matplotlib)")
else:
    plt.plot(range(len(losses)), losses)
    plt.xlabel("epoch")
    plt.ylabel("mean loss over the 3 samples")
    plt.yscale("log")
    plt.title("y_hat = w1*x**2 + w2*x + b")
    plt.grid(True, alpha=0.3)
    png_path = os.path.join(args.out, "loss.png")
    plt.savefig(png_path, dpi=120)
    print("loss curve written to", png_path)
