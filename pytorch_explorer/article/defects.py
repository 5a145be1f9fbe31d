"""Every defect of the article's code that NOTES.md lists, where it stands and what it causes.

Each defect names the cells whose article code holds it and the line that shows it (a test checks the
line is there), says what is wrong and what it causes, in English and in Chinese, and where in the app
to see it happen (``see``: "toy" for the Toy networks page, "trainer" for Digits: train in
article-faithful mode, "" when there is nothing to watch).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    id: str
    cells: tuple[str, ...]
    line: str  # as it stands in the article's code
    title: str
    causes: str
    zh: str
    see: str = ""


DEFECTS = [
    Defect("no_zero_grad", ("cs_train",), "loss.backward()\n        optimizer.step()",
           "No `optimizer.zero_grad()` in the loop",
           "`backward()` adds to the gradients already there, so every step applies the sum of all earlier "
           "gradients. This is why the article reports about 0.87; with the gradients cleared the same set-up "
           "reaches about 0.97 validation accuracy on real MNIST.",
           "循环中没有调用 `optimizer.zero_grad()`:梯度不断累加,每一步都使用之前所有梯度之和。文章的约 0.87 "
           "准确率正是由此而来;清零梯度后,同样的设置在完整 MNIST 上可达约 0.97。", "trainer"),
    Defect("with_replacement", ("cs_train",), "batch_mask = rng.choice(dataset_length, batch_size)",
           "Batches drawn with replacement",
           "`rng.choice(n, batch_size)` draws indices with replacement: a batch can hold the same digit twice, "
           "and an epoch does not see every digit once.",
           "`rng.choice(n, batch_size)` 是有放回抽样:同一批次可能重复同一张图,一个周期也不会恰好遍历所有图片。", "trainer"),
    Defect("steps_from_whole_csv", ("cs_train",), "total_batch = int(train.shape[0]/batch_size)",
           "Steps per epoch counted over the whole CSV",
           "`train.shape[0]` counts every row of train.csv, not the 70 % training split, so an \"epoch\" takes "
           "about 1.4 times as many batches as the split has.",
           "`train.shape[0]` 是整个 train.csv 的行数而不是 70% 的训练集,所以每个“周期”多跑了约 0.4 倍的批次。", "trainer"),
    Defect("preproc_max", ("cs_train",), "temp_batch = unclean_batch_x / unclean_batch_x.max()",
           "`preproc` divides each batch by its own maximum",
           "The pixels are already in 0-1 after `/ 255.0`, so this does nothing useful; on a batch whose "
           "brightest pixel is not 1.0 it rescales that batch alone, differently from the others.",
           "像素在除以 255 之后已经在 0-1 之间;再除以每个批次自己的最大值没有意义,还会让不同批次的缩放不一致。", "trainer"),
    Defect("eval", ("cs_train",), "eval(dataset_name + '_x')",
           "`eval` to find a variable by name",
           "Runs a string as code to look up `train_x`; a dict lookup does the same without `eval`.",
           "用 `eval` 执行字符串来找变量 `train_x`;用字典查找即可,不必执行代码。"),
    Defect("ix", ("cs_train",), ".ix[batch_mask, 'label']",
           "`DataFrame.ix` was removed from pandas",
           "`.ix` was deprecated in pandas 0.20 and removed in 1.0: the line raises AttributeError today. "
           "`.iloc` selects the rows by position.",
           "pandas 1.0 已删除 `.ix`,这行代码今天会报 AttributeError;按位置选行请用 `.iloc`。"),
    Defect("variable", ("variable", "cs_settings", "cs_train", "cs_train_acc", "cs_val_acc"), "Variable",
           "`Variable` is a no-op since PyTorch 0.4",
           "Tensors and Variables were merged in 2018: `Variable(t)` just returns a tensor, and "
           "`requires_grad=False` is the default. Plain tensors do the same.",
           "PyTorch 0.4 起张量与 Variable 合并:`Variable(t)` 只是返回张量本身;直接用张量即可。", "autograd"),
    Defect("loss_data_0", ("cs_train",), "loss.data[0]",
           "`loss.data[0]` fails on a 0-dimensional loss",
           "Since PyTorch 0.4 a loss is a 0-dimensional tensor and indexing it raises IndexError; "
           "`loss.item()` gives the Python number.",
           "PyTorch 0.4 起损失是零维张量,`loss.data[0]` 会报 IndexError;请用 `loss.item()`。"),
    Defect("imread", ("cs_imports", "cs_show", "cs_arrays"), "imread",
           "`scipy.misc.imread` was removed from SciPy",
           "Deprecated in SciPy 1.0 and removed in 1.2: the import fails today. Pillow reads the images "
           "(`Image.open(path).convert('F')` is what `imread(path, flatten=True)` did).",
           "`scipy.misc.imread` 已在 SciPy 1.2 中删除,导入会失败;用 Pillow 读取图片。"),
    Defect("pylab", ("cs_imports", "cs_show"), "pylab",
           "`%pylab inline` is notebook magic, deprecated by IPython",
           "It only works in a notebook (a script cannot run it), and IPython deprecates it; `import matplotlib.pyplot as plt` "
           "is what the plotting needs.",
           "`%pylab inline` 只能在 notebook 中使用,且已被 IPython 弃用;绘图只需 `import matplotlib.pyplot as plt`。"),
    Defect("output_bias_skipped", ("toy_torch",), "output = sigmoid(output_layer_input1)",
           "The output skips the output bias",
           "`output_layer_input1` is the input before `bout` is added, so the network has no output bias: "
           "`bout` is updated every epoch and changes nothing.",
           "用了加偏置之前的 `output_layer_input1`,输出层偏置 `bout` 从未生效,每个周期都在白白更新。", "toy"),
    Defect("bias_sums", ("toy_torch",), "bout += d_output.sum() *lr",
           "The bias updates sum over all axes",
           "`d_output.sum()` is one scalar over every axis (numpy sums axis 0, keepdims); with one output "
           "unit the number is the same, but `bout` is unused anyway.",
           "`d_output.sum()` 对所有维度求和得到一个标量(numpy 版本只对第 0 维求和)。", "toy"),
    Defect("hidden_bias_wrong_error", ("toy_torch",), "bh += d_output.sum() *lr",
           "The hidden bias gets the output's error",
           "It should be `d_hiddenlayer` summed over axis 0: instead every hidden bias gets the same scalar, "
           "the output error, not its own gradient.",
           "隐藏层偏置应使用 `d_hiddenlayer`,这里却用了输出层误差 `d_output`,所有隐藏单元的偏置都加上同一个错误的数。", "toy"),
    Defect("prints_in_loop", ("toy_torch",), "    print('actual :\\n', y, '\\n')",
           "The prints sit inside the training loop",
           "5000 epochs print 5000 times. Harmless to the maths; the output below shows its first and last lines.",
           "打印语句在训练循环之内,会打印 5000 次;不影响计算。", "toy"),
]


def defects_of(cell_id: str) -> list[Defect]:
    """The defects that stand in a cell's article code, in the list's order."""
    return [d for d in DEFECTS if cell_id in d.cells]
