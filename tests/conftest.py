import os
import sys

# The tests import their helpers as `support`; the package itself must be installed.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
