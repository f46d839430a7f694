"""The program: the other modules of a project, summarised, and the imports that lead to them."""
