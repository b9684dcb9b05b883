"""HELM's data augmentation: perturbed copies of evaluation instances for robustness and fairness.

`expander.py` turns `data_augmentation=<value>` into a run spec's `DataAugmenterSpec`; `augmenter.py`
applies it to a run's instances; `robustness.py` and `fairness.py` hold the perturbations;
`word_lists.py` finds the word lists some of them read (data mirror, cache, verified download).
"""
