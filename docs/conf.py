"""Sphinx configuration of the dab-mm manual (``make docs``).

The source folder is the repository root, so the manual's Markdown pages
(``docs/``), the method READMEs (``configs/*/README.md``) and the front page
link to each other, to configs and to result files by the same relative
paths that work on GitHub. Warnings are errors (``make docs`` passes
``-W``): a link to a missing page or file, a bad cross-reference or a
malformed docstring fails the build.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

project = 'dab-mm'
author = 'the dab-mm developers'
copyright = '2026, the dab-mm developers'

extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
]
source_suffix = {'.md': 'markdown', '.rst': 'restructuredtext'}
root_doc = 'docs/index'
# only the manual's pages: everything else in the repository is linked to,
# not built
include_patterns = ['README.md', 'docs/**', 'configs/*/README.md',
                    'results/*/*.md', 'dab_mm/**/README.md']
exclude_patterns = ['docs/_build/**', 'dab_mm/.mim/**']

myst_heading_anchors = 4
myst_enable_extensions = ['dollarmath']
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Cross-references are checked (nitpicky): a reference to a dab-mm object
# that is not in the API reference fails. Types of other packages cannot be
# resolved offline (no intersphinx inventories), so they are not checked.
nitpicky = True
nitpick_ignore_regex = [
    ('py:class', r'(torch|np|numpy|scipy|mmengine|mmpretrain|mmcv)\..*'),
    ('py:class', r'optional|Tensor|C|sparse int64|MultiLabelDataset|'
                 r'MultiLabelClsHead|MMDistributedDataParallel'),
    ('py:func', r'mmengine\..*'),
]

html_theme = 'alabaster'
html_title = 'dab-mm'
