import os.path as osp

from setuptools import find_packages, setup


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


setup(
    name='dab-mm',
    version=read_version(),
    description='DAB (Distribution Asymmetric Balance) and baselines for '
    'long-tailed multi-label image classification, as an mmpretrain plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.8',
    packages=find_packages(include=['dab_mm', 'dab_mm.*']),
    package_data={
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
