import glob
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
# What the installed package carries besides its code, as mmpretrain's does:
# dab_mm/.mim/{configs,tools,model-index.yml} (used by `dab_mm::` config
# inheritance, `mim train dab_mm ...` and `mim search dab_mm`).
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def read_requirements(path):
    with open(osp.join(osp.dirname(__file__), path)) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'dab_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Fill dab_mm/.mim: links to the repository's files for an editable
    install (pip install -e .), copies for a wheel or an sdist."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim = osp.join(HERE, 'dab_mm', '.mim')
    os.makedirs(mim, exist_ok=True)
    # setuptools builds the wheel from build/lib and never removes a file
    # from it: a tool or config deleted or renamed since an earlier build
    # would still be installed (and `dab_mm::` would find a stale config)
    for old in glob.glob(osp.join(HERE, 'build', 'lib*', 'dab_mm', '.mim')):
        shutil.rmtree(old)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim, name)
        if not osp.exists(src):  # building from an sdist: .mim is complete
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


add_mim_extension()

setup(
    name='dab-mm',
    version=read_version(),
    description='DAB (Distribution Asymmetric Balance) and baselines for '
    'long-tailed multi-label image classification, as an mmpretrain plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    author='the dab-mm authors',
    keywords='long-tailed, multi-label, image classification, DAB, '
    'distribution-balanced loss, OpenMMLab, mmpretrain',
    project_urls={
        'Paper (DAB)': 'https://doi.org/10.11896/jsjkx.210300267',
    },
    classifiers=[
        'Development Status :: 4 - Beta',
        'Intended Audience :: Science/Research',
        'License :: OSI Approved :: Apache Software License',
        'Operating System :: POSIX :: Linux',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3.11',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
        'Topic :: Scientific/Engineering :: Image Recognition',
    ],
    license='Apache-2.0',
    python_requires='>=3.8',
    packages=find_packages(include=['dab_mm', 'dab_mm.*']),
    package_data={
        'dab_mm': ['.mim/model-index.yml', '.mim/configs/**/*',
                   '.mim/tools/**/*'],
        'dab_mm.datasets': ['annotations/*.json', 'annotations/*.npz',
                            'annotations/*.md'],
        'dab_mm.models': ['heads/label_embeddings/*.npy',
                          'heads/label_embeddings/*.json',
                          'heads/label_embeddings/*.md'],
    },
    include_package_data=True,
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'pretrained': read_requirements('requirements/pretrained.txt'),
    },
    zip_safe=False,
)
