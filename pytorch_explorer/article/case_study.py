'''The digit case study's cells: step 0 (imports, seed, paths), step 1 (load, look, arrays, split),
step 2 (the model, the training loop, the accuracies), each a function doing what its shown code does.

They run in order in one namespace, as the article's notebook did: a cell needs every cell before it
(``rng`` is drawn from by step 1b before the training loop draws its batches). The data is a folder in
the article's layout (``data/Train/train.csv``, ``data/Train/Images/train/<filename>``, ``data/Test.csv``,
``data/Sample_Submission.csv``) that :func:`make_article_folder` writes from the bundled digits, so
everything runs offline in seconds: 4,500 training PNGs, 500 test PNGs, 5 epochs of 35 batches.

Today's code differs from the article's only where the article's no longer runs (``%pylab``,
``scipy.misc.imread``, ``Variable``, ``eval``, ``DataFrame.ix``, ``loss.data[0]``) and in one added line,
``torch.manual_seed(seed)``: the article seeds only numpy, so its model started differently every run.
The loop keeps the article's defects (see :mod:`pytorch_explorer.article.defects`).
'''

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from sklearn.metrics import accuracy_score

from pytorch_explorer.article.cell import ROOT_PLACEHOLDER, Cell, Run
from pytorch_explorer.digits.data import make_png_folder
from pytorch_explorer.digits.training.article_loop import preproc

TRAIN_IMAGES, TEST_IMAGES = 4500, 500  # the bundled 5,000 digits, each used once
READY = ".complete"  # written last into a finished folder


def make_article_folder(root: Path, train: int = TRAIN_IMAGES, test: int = TEST_IMAGES) -> Path:
    """root/data in the article's layout, from the bundled digits, unless it is there already. Written
    beside root and renamed into place, so that a half-written folder is never used. Returns root."""
    root = Path(root)
    stamp = f"{train} {test}"
    if (root / "data" / READY).is_file() and (root / "data" / READY).read_text() == stamp:
        return root
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".data-", dir=root))
    try:
        make_png_folder(building, train, test_n=test)
        names = pd.read_csv(building / "Test.csv")["filename"]
        pd.DataFrame({"filename": names, "label": 0}).to_csv(building / "Sample_Submission.csv", index=False)
        (building / READY).write_text(stamp)
        shutil.rmtree(root / "data", ignore_errors=True)
        building.rename(root / "data")
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return root


def read_image(path: str) -> np.ndarray:
    """scipy.misc.imread(path, flatten=True), which was Pillow's convert('F'): float32 grey."""
    return np.array(Image.open(path).convert('F'))


# ---------------------------------------------------------------- step 0: preparation
IMPORTS = """\
# import modules
%pylab inline
import os
import numpy as np
import pandas as pd
from scipy.misc import imread
from sklearn.metrics import accuracy_score"""
IMPORTS_TODAY = """\
# import modules
import matplotlib.pyplot as plt  # %pylab: deprecated notebook magic; pyplot is what the plot needs
import os
import numpy as np
import pandas as pd
from PIL import Image  # scipy.misc.imread was removed from SciPy; Pillow reads the PNGs
from sklearn.metrics import accuracy_score"""


def imports(r: Run) -> None:
    r.ns.update(os=os, np=np, pd=pd, Image=Image, accuracy_score=accuracy_score)


SEED = """\
# To stop potential randomness
seed = 128
rng = np.random.RandomState(seed)"""


def seed(r: Run) -> None:
    r.ns["seed"] = 128
    r.ns["rng"] = np.random.RandomState(r.ns["seed"])


PATHS = """\
root_dir = os.path.abspath('.')
data_dir = os.path.join(root_dir, 'data')

# check for existence
os.path.exists(root_dir), os.path.exists(data_dir)"""
PATHS_TODAY = PATHS.replace("os.path.abspath('.')", ROOT_PLACEHOLDER + "  # here: a folder made from the bundled digits")


def paths(r: Run) -> None:
    root_dir = r.ns["root_dir"] = str(r.root)
    data_dir = r.ns["data_dir"] = os.path.join(root_dir, 'data')
    r.out.show((os.path.exists(root_dir), os.path.exists(data_dir)))


# ---------------------------------------------------------------- step 1: data
LOAD = """\
# load dataset
train = pd.read_csv(os.path.join(data_dir, 'Train', 'train.csv'))
test = pd.read_csv(os.path.join(data_dir, 'Test.csv'))

sample_submission = pd.read_csv(os.path.join(data_dir, 'Sample_Submission.csv'))

train.head()"""


def load(r: Run) -> None:
    data_dir = r.ns["data_dir"]
    train = r.ns["train"] = pd.read_csv(os.path.join(data_dir, 'Train', 'train.csv'))
    r.ns["test"] = pd.read_csv(os.path.join(data_dir, 'Test.csv'))
    r.ns["sample_submission"] = pd.read_csv(os.path.join(data_dir, 'Sample_Submission.csv'))
    r.out.show(train.head())


SHOW = """\
# print an image
img_name = rng.choice(train.filename)
filepath = os.path.join(data_dir, 'Train', 'Images', 'train', img_name)

img = imread(filepath, flatten=True)

pylab.imshow(img, cmap='gray')
pylab.axis('off')
pylab.show()"""
SHOW_TODAY = (SHOW.replace("imread(filepath, flatten=True)", "np.array(Image.open(filepath).convert('F'))")
              .replace("pylab.", "plt."))


def show(r: Run) -> None:
    img_name = r.ns["img_name"] = r.ns["rng"].choice(r.ns["train"].filename)
    filepath = r.ns["filepath"] = os.path.join(r.ns["data_dir"], 'Train', 'Images', 'train', img_name)
    r.ns["img"] = read_image(filepath)  # the page draws it: the notebook's pylab.show()


ARRAYS = """\
# load images to create train and test set
temp = []
for img_name in train.filename:
    image_path = os.path.join(data_dir, 'Train', 'Images', 'train', img_name)
    img = imread(image_path, flatten=True)
    img = img.astype('float32')
    temp.append(img)

train_x = np.stack(temp)

train_x /= 255.0
train_x = train_x.reshape(-1, 784).astype('float32')

temp = []
for img_name in test.filename:
    image_path = os.path.join(data_dir, 'Train', 'Images', 'test', img_name)
    img = imread(image_path, flatten=True)
    img = img.astype('float32')
    temp.append(img)

test_x = np.stack(temp)

test_x /= 255.0
test_x = test_x.reshape(-1, 784).astype('float32')

train_y = train.label.values"""
ARRAYS_TODAY = ARRAYS.replace("imread(image_path, flatten=True)", "np.array(Image.open(image_path).convert('F'))")


def arrays(r: Run) -> None:
    data_dir = r.ns["data_dir"]
    for name, table in (("train", r.ns["train"]), ("test", r.ns["test"])):
        folder = os.path.join(data_dir, 'Train', 'Images', name)
        images = np.stack([read_image(os.path.join(folder, n)).astype('float32') for n in table.filename])
        images /= 255.0
        r.ns[f"{name}_x"] = images.reshape(-1, 784).astype('float32')
    r.ns["train_y"] = r.ns["train"].label.values


SPLIT = """\
# create validation set
split_size = int(train_x.shape[0]*0.7)

train_x, val_x = train_x[:split_size], train_x[split_size:]
train_y, val_y = train_y[:split_size], train_y[split_size:]"""


def split(r: Run) -> None:
    ns = r.ns
    split_size = ns["split_size"] = int(ns["train_x"].shape[0] * 0.7)
    ns["train_x"], ns["val_x"] = ns["train_x"][:split_size], ns["train_x"][split_size:]
    ns["train_y"], ns["val_y"] = ns["train_y"][:split_size], ns["train_y"][split_size:]


# ---------------------------------------------------------------- step 2: the model
SETTINGS = """\
import torch
from torch.autograd import Variable

# number of neurons in each layer
input_num_units = 28*28
hidden_num_units = 500
output_num_units = 10

# set remaining variables
epochs = 5
batch_size = 128
learning_rate = 0.001"""
SETTINGS_TODAY = SETTINGS.replace("from torch.autograd import Variable\n", "")


def settings(r: Run) -> None:
    r.ns.update(torch=torch, input_num_units=28 * 28, hidden_num_units=500, output_num_units=10,
                epochs=5, batch_size=128, learning_rate=0.001)


TRAIN = '''\
# define model
model = torch.nn.Sequential(
    torch.nn.Linear(input_num_units, hidden_num_units),
    torch.nn.ReLU(),
    torch.nn.Linear(hidden_num_units, output_num_units),
)
loss_fn = torch.nn.CrossEntropyLoss()

# define optimization algorithm
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

## helper functions
# preprocess a batch of dataset
def preproc(unclean_batch_x):
    """Convert values to range 0-1"""
    temp_batch = unclean_batch_x / unclean_batch_x.max()

    return temp_batch

# create a batch
def batch_creator(batch_size):
    dataset_name = 'train'
    dataset_length = train_x.shape[0]

    batch_mask = rng.choice(dataset_length, batch_size)

    batch_x = eval(dataset_name + '_x')[batch_mask]
    batch_x = preproc(batch_x)

    if dataset_name == 'train':
        batch_y = eval(dataset_name).ix[batch_mask, 'label'].values

    return batch_x, batch_y

# train network
total_batch = int(train.shape[0]/batch_size)

for epoch in range(epochs):
    avg_cost = 0
    for i in range(total_batch):
        # create batch
        batch_x, batch_y = batch_creator(batch_size)

        # pass that batch for training
        x, y = Variable(torch.from_numpy(batch_x)), Variable(torch.from_numpy(batch_y), requires_grad=False)
        pred = model(x)

        # get loss
        loss = loss_fn(pred, y)

        # perform backpropagation
        loss.backward()
        optimizer.step()
        avg_cost += loss.data[0]/total_batch

    print(epoch, avg_cost)'''
TRAIN_TODAY = (TRAIN
               .replace("# define model\n", "# define model\ntorch.manual_seed(seed)  # added: the article seeds numpy "
                        "only, so its model started from different weights every run\n")
               .replace("    batch_x = eval(dataset_name + '_x')[batch_mask]",
                        "    datasets = {'train_x': train_x, 'train': train}  # instead of eval(): a plain lookup\n"
                        "    batch_x = datasets[dataset_name + '_x'][batch_mask]")
               .replace("eval(dataset_name).ix[batch_mask, 'label'].values",
                        "datasets[dataset_name].iloc[batch_mask]['label'].values")
               .replace("Variable(torch.from_numpy(batch_x)), Variable(torch.from_numpy(batch_y), requires_grad=False)",
                        "torch.from_numpy(batch_x), torch.from_numpy(batch_y)")
               .replace("loss.data[0]", "loss.item()"))


def train(r: Run) -> None:
    """The article's loop as written, defects kept (they are marked in the code the page shows)."""
    ns = r.ns
    with torch.random.fork_rng(devices=[]):  # torch.manual_seed(seed), without touching anyone else's generator
        torch.manual_seed(ns["seed"])
        model = torch.nn.Sequential(torch.nn.Linear(ns["input_num_units"], ns["hidden_num_units"]), torch.nn.ReLU(),
                                    torch.nn.Linear(ns["hidden_num_units"], ns["output_num_units"]))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=ns["learning_rate"])
    rng, train_x, table, batch_size = ns["rng"], ns["train_x"], ns["train"], ns["batch_size"]
    total_batch = int(table.shape[0] / batch_size)  # DEFECT: the whole CSV's rows, not the 70 % split's
    for epoch in range(ns["epochs"]):
        avg_cost = 0
        for _ in range(total_batch):
            batch_mask = rng.choice(train_x.shape[0], batch_size)  # DEFECT: drawn with replacement
            batch_x = preproc(train_x[batch_mask])  # DEFECT: divided by the batch's maximum
            batch_y = table.iloc[batch_mask]['label'].values
            x, y = torch.from_numpy(batch_x), torch.from_numpy(batch_y)
            pred = model(x)
            loss = loss_fn(pred, y)
            loss.backward()  # DEFECT: no optimizer.zero_grad(), so the gradients of every step add up
            optimizer.step()
            avg_cost += loss.item() / total_batch
        r.out.print(epoch, avg_cost)
    ns.update(model=model, loss_fn=loss_fn, optimizer=optimizer, total_batch=total_batch, preproc=preproc)


TRAIN_ACC = """\
# get training accuracy
x, y = Variable(torch.from_numpy(preproc(train_x))), Variable(torch.from_numpy(train_y), requires_grad=False)
pred = model(x)

final_pred = np.argmax(pred.data.numpy(), axis=1)

accuracy_score(train_y, final_pred)"""
VAL_ACC = TRAIN_ACC.replace("training", "validation").replace("train_", "val_")


def without_variable(code: str) -> str:
    """The accuracy cells today: plain tensors instead of Variable."""
    for name in ("train", "val"):
        code = code.replace(f"Variable(torch.from_numpy(preproc({name}_x))), Variable(torch.from_numpy({name}_y), "
                            "requires_grad=False)", f"torch.from_numpy(preproc({name}_x)), torch.from_numpy({name}_y)")
    return code


def accuracy(name: str):
    """The cell computing the accuracy on train_x or val_x."""
    def cell(r: Run) -> None:
        ns = r.ns
        x, y = torch.from_numpy(preproc(ns[f"{name}_x"])), torch.from_numpy(ns[f"{name}_y"])
        pred = ns["model"](x)
        final_pred = np.argmax(pred.data.numpy(), axis=1)
        ns.update(x=x, y=y, pred=pred, final_pred=final_pred)
        r.out.show(accuracy_score(ns[f"{name}_y"], final_pred))
    return cell


CASE_ORDER = ("cs_imports", "cs_seed", "cs_paths", "cs_load", "cs_show", "cs_arrays", "cs_split", "cs_settings",
              "cs_train", "cs_train_acc", "cs_val_acc")


def before(cell_id: str) -> tuple[str, ...]:
    """The case study's cells before this one: all of them run first, as in the notebook."""
    return CASE_ORDER[:CASE_ORDER.index(cell_id)]


CASE_CELLS = [
    Cell("cs_imports", IMPORTS, imports, modern=IMPORTS_TODAY,
         changes=("`%pylab inline` dropped (deprecated IPython magic, not Python); pyplot for the one plot.",
                  "`from scipy.misc import imread` -> Pillow (`Image.open(path).convert('F')` is what imread "
                  "did with flatten=True).")),
    Cell("cs_seed", SEED, seed, needs=before("cs_seed"), defines=("seed", "rng")),
    Cell("cs_paths", PATHS, paths, modern=PATHS_TODAY, needs=before("cs_paths"), defines=("root_dir", "data_dir"),
         changes=("The folder: one in the article's layout, made from the bundled digits (no download).",)),
    Cell("cs_load", LOAD, load, needs=before("cs_load"), defines=("train", "test", "sample_submission")),
    Cell("cs_show", SHOW, show, modern=SHOW_TODAY, needs=before("cs_show"), defines=("img_name", "img"), image="img",
         changes=("imread -> Pillow; pylab -> pyplot (here the page draws the image).",)),
    Cell("cs_arrays", ARRAYS, arrays, modern=ARRAYS_TODAY, needs=before("cs_arrays"),
         defines=("train_x", "test_x", "train_y"), changes=("imread -> Pillow.",)),
    Cell("cs_split", SPLIT, split, needs=before("cs_split"), defines=("split_size", "train_x", "val_x", "train_y", "val_y")),
    Cell("cs_settings", SETTINGS, settings, modern=SETTINGS_TODAY, needs=before("cs_settings"),
         defines=("input_num_units", "hidden_num_units", "output_num_units", "epochs", "batch_size", "learning_rate"),
         changes=("`from torch.autograd import Variable` dropped: Variable is no longer needed.",)),
    Cell("cs_train", TRAIN, train, modern=TRAIN_TODAY, needs=before("cs_train"), defines=("model", "total_batch"),
         changes=("`eval(dataset_name + '_x')` -> a dict lookup; `DataFrame.ix` (removed from pandas) -> `.iloc`.",
                  "`Variable(...)` -> plain tensors; `loss.data[0]` -> `loss.item()`.",
                  "`torch.manual_seed(seed)` added, so that a run can be repeated (the article seeds only numpy).",
                  "Its defects are kept: this is the article's loop.")),
    Cell("cs_train_acc", TRAIN_ACC, accuracy("train"), modern=without_variable(TRAIN_ACC), needs=before("cs_train_acc"),
         defines=("final_pred",), article_output="0.8779008746355685", changes=("`Variable(...)` -> plain tensors.",)),
    Cell("cs_val_acc", VAL_ACC, accuracy("val"), modern=without_variable(VAL_ACC), needs=before("cs_val_acc"),
         defines=("final_pred",), article_output="0.867482993197279", changes=("`Variable(...)` -> plain tensors.",)),
]
