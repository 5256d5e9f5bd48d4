"""The paper's mathematics, written for reading next to it.

One module per idea of the paper: the network (eq. 1), activations (eq. 2), targets
(eq. 3, 4, 32), the GTP and backprop updates (eq. 5), the target dynamics and Euler
stability (Appendix B), the uncertainty initialisation (eq. 6-10, Appendix A), why layers
cannot be inverted (Appendix C), GTP = backprop - Hebbian (section 3.3, Appendix D), the
relatives' equations (feedback alignment, direct feedback alignment, (difference) target
propagation), and the paper's printed rows (``paper``).  Functions on lists of numpy arrays,
each citing its equation.

May import: numpy and other ``gtp.maths`` modules only (no plotting, I/O, widgets, data
sets or training engine).
"""
