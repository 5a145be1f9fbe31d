"""The Toy playground (TensorFlow Playground in PyTorch): a small network learns a 2-D problem while you watch.

- ``data``: the problems (circles, XOR, Gaussian clusters, spiral, two moons; regression: plane, multi-Gaussian),
  the train/test split and the input features (x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2));
- ``config``: ``PlaygroundConfig``, every setting checked (layers "8-8-8-8", at most 6 x 8), and its compact form;
- ``model``: the ``nn.Sequential`` network, the L1/L2 term and what every unit computes over the plane;
- ``trainer``: ``PlaygroundTrainer``, training as a resumable object (``step(n)``, ``train_for(seconds)``), the
  gradient magnitudes per layer and what the numbers say (diverged, vanishing gradients);
- ``landscape``: the loss along two random directions around the current weights;
- ``figures``: the network as a picture (node heatmaps, weighted edges), the output, the curves;
- ``live``: one frame of the live panel while training (``Frame``: the page draws it, ``bench playground`` times it);
- ``code``: the PyTorch code of the current network and training loop, runnable as shown.
"""
