'''The cells of the article's first half: tensors, operations, autograd, optim, nn, and the toy network
in numpy and in PyTorch. Each cell's function does exactly what its shown code does (a test runs the
code and compares); the toy networks reuse the lines of :mod:`pytorch_explorer.toy.backprop`.

Where the article relies on the global random generator, today's code seeds a generator of its own
(``rng = np.random.RandomState(0)``, ``generator=g``), so that a run can be checked against its code.
'''

from __future__ import annotations

import numpy as np
import torch

from pytorch_explorer.article.cell import Cell, Run
from pytorch_explorer.toy.backprop import apply_updates, numpy_backprop, torch_article_backprop

# ---------------------------------------------------------------- installing
INSTALL = "conda install pytorch torchvision cuda91 -c pytorch"
INSTALL_TODAY = """\
# today, in a terminal (pytorch.org's selector gives the command for a CUDA build):
# pip install torch torchvision
import torch
torch.__version__"""


def install(r: Run) -> None:
    r.ns["torch"] = torch
    r.out.show(torch.__version__)


# ---------------------------------------------------------------- tensors and operations
TENSOR = """\
# import pytorch
import torch
# define a tensor
torch.FloatTensor([2])"""


def tensor(r: Run) -> None:
    r.ns["torch"] = torch
    r.out.show(torch.FloatTensor([2]))


ADD = """\
a = torch.FloatTensor([2])
b = torch.FloatTensor([3])
a + b"""


def add(r: Run) -> None:
    r.ns["a"] = a = torch.FloatTensor([2])
    r.ns["b"] = b = torch.FloatTensor([3])
    r.out.show(a + b)


MATRIX = """\
matrix = torch.randn(3, 3)
matrix"""
MATRIX_TODAY = """\
import torch
g = torch.Generator().manual_seed(0)  # seeded, so that every run prints the same numbers
matrix = torch.randn(3, 3, generator=g)
matrix"""


def matrix(r: Run) -> None:
    r.ns["g"] = g = torch.Generator().manual_seed(0)
    r.ns["matrix"] = m = torch.randn(3, 3, generator=g)
    r.out.show(m)


TRANSPOSE = "matrix.t()"


def transpose(r: Run) -> None:
    r.out.show(r.ns["matrix"].t())


# ---------------------------------------------------------------- autograd, optim, nn
VARIABLE = """\
from torch.autograd import Variable
x = Variable(train_x)
y = Variable(train_y, requires_grad=False)"""
VARIABLE_TODAY = """\
import torch
# stand-ins: the article defines train_x and train_y only later, in its case study
g = torch.Generator().manual_seed(0)
train_x = torch.rand(5, 784, generator=g)
train_y = torch.randint(0, 10, (5,), generator=g)
x = train_x  # Variable is gone: since PyTorch 0.4 every tensor records what autograd needs
y = train_y  # requires_grad=False is already a tensor's default
x.requires_grad, y.requires_grad, type(x).__name__"""


def variable(r: Run) -> None:
    g = r.ns["g"] = torch.Generator().manual_seed(0)
    r.ns["train_x"] = x = torch.rand(5, 784, generator=g)
    r.ns["train_y"] = y = torch.randint(0, 10, (5,), generator=g)
    r.ns["x"], r.ns["y"] = x, y
    r.out.show((x.requires_grad, y.requires_grad, type(x).__name__))


OPTIM = "optimizer = torch.optim.Adam(model.parameters(),lr = learning_rate)"
OPTIM_TODAY = """\
import torch
# stand-ins: the article defines model and learning_rate only later, in its case study
model = torch.nn.Linear(28*28, 10)
learning_rate = 0.001
optimizer = torch.optim.Adam(model.parameters(),lr = learning_rate)
optimizer"""


def optim(r: Run) -> None:
    r.ns["model"] = model = torch.nn.Linear(28 * 28, 10)
    r.ns["learning_rate"] = learning_rate = 0.001
    r.ns["optimizer"] = optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    r.out.show(optimizer)


NN = """\
import torch
# define model
model = torch.nn.Sequential(
    torch.nn.Linear(input_num_units, hidden_num_units),
    torch.nn.ReLU(),
    torch.nn.Linear(hidden_num_units, output_num_units),
)
loss_fn = torch.nn.CrossEntropyLoss()"""
NN_TODAY = """\
import torch
# the sizes the article sets only later, in its case study
input_num_units, hidden_num_units, output_num_units = 28*28, 500, 10
# define model
model = torch.nn.Sequential(
    torch.nn.Linear(input_num_units, hidden_num_units),
    torch.nn.ReLU(),
    torch.nn.Linear(hidden_num_units, output_num_units),
)
loss_fn = torch.nn.CrossEntropyLoss()
model, loss_fn"""


def nn(r: Run) -> None:
    model = torch.nn.Sequential(torch.nn.Linear(28 * 28, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10))
    r.ns.update(model=model, loss_fn=torch.nn.CrossEntropyLoss())
    r.out.show((model, r.ns["loss_fn"]))


# ---------------------------------------------------------------- the toy network, numpy and PyTorch
TOY_NUMPY = """\
## Neural network in numpy
import numpy as np
#Input array
X=np.array([[1,0,1,0],[1,0,1,1],[0,1,0,1]])
#Output
y=np.array([[1],[1],[0]])
#Sigmoid Function
def sigmoid (x):
    return 1/(1 + np.exp(-x))
#Derivative of Sigmoid Function
def derivatives_sigmoid(x):
    return x * (1 - x)
#Variable initialization
epoch=5000 #Setting training iterations
lr=0.1 #Setting learning rate
inputlayer_neurons = X.shape[1] #number of features in data set
hiddenlayer_neurons = 3 #number of hidden layers neurons
output_neurons = 1 #number of neurons at output layer
#weight and bias initialization
wh=np.random.uniform(size=(inputlayer_neurons,hiddenlayer_neurons))
bh=np.random.uniform(size=(1,hiddenlayer_neurons))
wout=np.random.uniform(size=(hiddenlayer_neurons,output_neurons))
bout=np.random.uniform(size=(1,output_neurons))
for i in range(epoch):
    #Forward Propogation
    hidden_layer_input1=np.dot(X,wh)
    hidden_layer_input=hidden_layer_input1 + bh
    hiddenlayer_activations = sigmoid(hidden_layer_input)
    output_layer_input1=np.dot(hiddenlayer_activations,wout)
    output_layer_input= output_layer_input1+ bout
    output = sigmoid(output_layer_input)
    #Backpropagation
    E = y-output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivatives_sigmoid(hiddenlayer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = d_output.dot(wout.T)
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    wout += hiddenlayer_activations.T.dot(d_output) *lr
    bout += np.sum(d_output, axis=0,keepdims=True) *lr
    wh += X.T.dot(d_hiddenlayer) *lr
    bh += np.sum(d_hiddenlayer, axis=0,keepdims=True) *lr
print('actual :\\n', y, '\\n')
print('predicted :\\n', output)"""
TOY_NUMPY_TODAY = (TOY_NUMPY.replace("#weight and bias initialization\n", "#weight and bias initialization\n"
                                     "rng=np.random.RandomState(0) # seeded, so that every run prints the same\n")
                   .replace("=np.random.uniform(", "=rng.uniform("))


def toy_numpy(r: Run) -> None:
    X = np.array([[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]])
    y = np.array([[1], [1], [0]])
    rng = np.random.RandomState(0)
    p = {"wh": rng.uniform(size=(4, 3)), "bh": rng.uniform(size=(1, 3)),
         "wout": rng.uniform(size=(3, 1)), "bout": rng.uniform(size=(1, 1))}
    for _ in range(5000):  # the article's epoch loop: numpy_backprop is its body, line for line
        output, updates = numpy_backprop(X, y, p)
        apply_updates(p, updates, 0.1)
    r.ns.update(X=X, y=y, output=output, **p)
    r.out.print('actual :\n', y, '\n')
    r.out.print('predicted :\n', output)


TOY_TORCH = """\
## neural network in pytorch
import torch
#Input array
X = torch.Tensor([[1,0,1,0],[1,0,1,1],[0,1,0,1]])
#Output
y = torch.Tensor([[1],[1],[0]])
#Sigmoid Function
def sigmoid (x):
    return 1/(1 + torch.exp(-x))
#Derivative of Sigmoid Function
def derivatives_sigmoid(x):
    return x * (1 - x)
#Variable initialization
epoch=5000 #Setting training iterations
lr=0.1 #Setting learning rate
inputlayer_neurons = X.shape[1] #number of features in data set
hiddenlayer_neurons = 3 #number of hidden layers neurons
output_neurons = 1 #number of neurons at output layer
#weight and bias initialization
wh=torch.randn(inputlayer_neurons, hiddenlayer_neurons).type(torch.FloatTensor)
bh=torch.randn(1, hiddenlayer_neurons).type(torch.FloatTensor)
wout=torch.randn(hiddenlayer_neurons, output_neurons)
bout=torch.randn(1, output_neurons)
for i in range(epoch):
    #Forward Propogation
    hidden_layer_input1 = torch.mm(X, wh)
    hidden_layer_input = hidden_layer_input1 + bh
    hidden_layer_activations = sigmoid(hidden_layer_input)
    output_layer_input1 = torch.mm(hidden_layer_activations, wout)
    output_layer_input = output_layer_input1 + bout
    output = sigmoid(output_layer_input1)
    #Backpropagation
    E = y-output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivatives_sigmoid(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = torch.mm(d_output, wout.t())
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    wout += torch.mm(hidden_layer_activations.t(), d_output) *lr
    bout += d_output.sum() *lr
    wh += torch.mm(X.t(), d_hiddenlayer) *lr
    bh += d_output.sum() *lr
    print('actual :\\n', y, '\\n')
    print('predicted :\\n', output)"""
TOY_TORCH_TODAY = (TOY_TORCH.replace("#weight and bias initialization\n", "#weight and bias initialization\n"
                                     "g=torch.Generator().manual_seed(0) # seeded, so that every run prints the same\n")
                   .replace("_neurons)", "_neurons, generator=g)"))


def toy_torch(r: Run) -> None:
    X = torch.Tensor([[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]])
    y = torch.Tensor([[1], [1], [0]])
    g = torch.Generator().manual_seed(0)
    p = {"wh": torch.randn(4, 3, generator=g).type(torch.FloatTensor),
         "bh": torch.randn(1, 3, generator=g).type(torch.FloatTensor),
         "wout": torch.randn(3, 1, generator=g), "bout": torch.randn(1, 1, generator=g)}
    y_text = str(y)  # y never changes: formatted once, printed 5000 times
    for _ in range(5000):  # torch_article_backprop is the loop's body as the article wrote it, defects marked
        output, updates = torch_article_backprop(X, y, p)
        apply_updates(p, updates, 0.1)
        r.out.print('actual :\n', y_text, '\n')  # DEFECT: the prints sit inside the loop, 5000 times
        r.out.print('predicted :\n', output)
    r.ns.update(X=X, y=y, output=output, **p)


BASIC_CELLS = [
    Cell("install", INSTALL, install, modern=INSTALL_TODAY, language="bash",
         changes=("conda's cuda91 build is long gone, and PyTorch no longer publishes conda packages: "
                  "today's command is pip's; the cell prints the PyTorch this app runs.",)),
    Cell("tensor", TENSOR, tensor, article_output="2\n[torch.FloatTensor of size 1]"),
    Cell("add", ADD, add, needs=("tensor",), defines=("a", "b"), article_output="5\n[torch.FloatTensor of size 1]"),
    Cell("matrix", MATRIX, matrix, modern=MATRIX_TODAY, defines=("matrix",),
         article_output="-1.3531 -0.5394 0.8934\n1.7457 -0.6291 -0.0484\n-1.3502 -0.6439 -1.5652\n"
                        "[torch.FloatTensor of size 3x3]",
         changes=("Runs as written; a seeded generator makes the numbers the same on every run.",)),
    Cell("transpose", TRANSPOSE, transpose, needs=("matrix",),
         article_output="-2.1139 1.8278 0.1976\n0.6236 0.3525 0.2660\n-1.4604 0.8982 0.0428\n"
                        "[torch.FloatTensor of size 3x3]"),
    Cell("variable", VARIABLE, variable, modern=VARIABLE_TODAY, defines=("x", "y", "train_x", "train_y"),
         changes=("`Variable(t)` -> `t`: tensors record operations themselves since PyTorch 0.4.",
                  "train_x and train_y get stand-ins: the article uses them before defining them.")),
    Cell("optim", OPTIM, optim, modern=OPTIM_TODAY, defines=("learning_rate",),
         changes=("The line runs as written; model and learning_rate get stand-ins so that it can run.",)),
    Cell("nn", NN, nn, modern=NN_TODAY,
         changes=("Runs as written once the case study's layer sizes are set; the last line shows what it built.",)),
    Cell("toy_numpy", TOY_NUMPY, toy_numpy, modern=TOY_NUMPY_TODAY, defines=("output", "wh", "bh", "wout", "bout"),
         changes=("Runs as written; a seeded generator instead of the global one makes every run the same.",)),
    Cell("toy_torch", TOY_TORCH, toy_torch, modern=TOY_TORCH_TODAY, defines=("output", "wh", "bh", "wout", "bout"),
         changes=("Runs as written, defects and all; a seeded generator makes every run the same.",)),
]
