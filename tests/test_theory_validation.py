"""Bad input raises a ValueError naming the argument and its accepted range."""
from __future__ import annotations

import numpy as np
import pytest

from theory import (ConceptMixture, DirichletMultinomial, GaussianBehaviour, InContextSimulator, TablePrior,
                    all_behaviours, map_lambda, order_averaged_coherence, srm_objective)
from theory.codelength import leave_p_out_score


F = np.array([[0, 1, 0], [1, 0, 1]])


@pytest.mark.parametrize("kwargs,match", [
    (dict(F=F, eps=[0.1, 0.2], w=[0.5, 0.6]), "w must sum to 1"),
    (dict(F=F, eps=[0.1, 0.2], w=[1.5, -0.5]), "w must be non-negative"),
    (dict(F=F, eps=[0.0, 0.2], w=[0.5, 0.5]), r"eps must lie in the open interval \(0, 1\)"),
    (dict(F=F, eps=[0.1, 1.0], w=[0.5, 0.5]), r"eps must lie in the open interval \(0, 1\)"),
    (dict(F=F, eps=[0.1, 0.2], w=[0.2, 0.3, 0.5]), r"w must have one weight per concept"),
    (dict(F=F + 1, eps=[0.1, 0.2], w=[0.5, 0.5]), r"F entries must lie in \[0, 1\]"),
    (dict(F=np.array([0, 1]), eps=[0.1], w=[1.0]), r"F must be a \(K, n\) array"),
])
def test_concept_mixture_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConceptMixture(**kwargs)


def test_dirichlet_rejects_bad_concentrations_and_shapes():
    with pytest.raises(ValueError, match=r"alpha must be > 0"):
        DirichletMultinomial(np.zeros(3, int), [-1.0, 2.0])
    with pytest.raises(ValueError, match=r"alpha must have shape"):
        DirichletMultinomial(np.array([0, 1, 2]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="clusters"):
        DirichletMultinomial(np.array([0.5, 1.0]), [1.0, 1.0])


def test_behaviour_shapes_and_ranges():
    prior = ConceptMixture(F=F, eps=[0.1, 0.2], w=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"B must have shape \(..., n\) with n = 3"):
        prior.log_joint(np.zeros((2, 4), int))
    with pytest.raises(ValueError, match=r"B entries must lie in \[0, 1\]"):
        prior.log_joint(np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="demos must not contain"):
        prior.log_conditional(np.zeros(3, int), 1, [0, 1])
    with pytest.raises(ValueError, match="order must be a permutation"):
        prior.log_joint(np.zeros(3, int), order=[0, 0, 1])


def test_enumeration_limits():
    with pytest.raises(ValueError, match=r"above the enumeration limit"):
        all_behaviours(30, 2)
    big = ConceptMixture(F=np.zeros((1, 40), int), eps=[0.1], w=[1.0])
    with pytest.raises(ValueError, match="enumeration limit"):
        big.log_joint_all()
    with pytest.raises(ValueError, match=r"log_table must have k\*\*n"):
        TablePrior(np.zeros(7), 3)


def test_functionals_reject_bad_arguments():
    prior = ConceptMixture(F=F, eps=[0.1, 0.2], w=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"eta must lie in the open interval"):
        map_lambda(0.0)
    with pytest.raises(ValueError, match=r"eta must be < \(k-1\)/k"):
        map_lambda(0.6)
    with pytest.raises(ValueError, match="loss must be '01' or 'log'"):
        srm_objective(prior, np.zeros(3, int), [0], [1], 1.0, loss="hinge")
    with pytest.raises(ValueError, match="lam must be >= 0"):
        srm_objective(prior, np.zeros(3, int), [0], [1], -1.0)
    with pytest.raises(ValueError, match=r"p must be an integer in \[1, 3\]"):
        leave_p_out_score(prior, np.zeros(3, int), 4)
    with pytest.raises(ValueError, match=r"n_orders must be an integer in \[2, inf\]"):
        order_averaged_coherence(prior, np.zeros(3, int), n_orders=1)


def test_gaussian_and_simulator_validation():
    with pytest.raises(ValueError, match="cov must be positive definite"):
        GaussianBehaviour(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match=r"cov must have shape \(2, 2\)"):
        GaussianBehaviour(np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match=r"gamma must lie in \(0, 1\]"):
        InContextSimulator(np.zeros((3, 2)), np.eye(3), gamma=1.5)
    with pytest.raises(ValueError, match=r"similarity must have shape \(3, 3\)"):
        InContextSimulator(np.zeros((3, 2)), np.eye(2))


# -- concept mixtures: no silent renormalisation, no empty mixtures ----------------------------

@pytest.mark.parametrize("weights", [(0.7, 0.5), (1.2, -0.2), (0.0, 0.0), (0.5, float("nan"))])
def test_persona_mixture_rejects_weights_that_are_not_a_probability_vector(weights):
    from theory.concept_mixture import persona_mixture

    truth = np.array([0, 1, 1, 0])
    with pytest.raises(ValueError, match="concept weights"):
        persona_mixture(truth, {"truth": (truth, 0.1, weights[0]), "negation": (1 - truth, 0.1, weights[1])})


def test_persona_mixture_keeps_valid_weights():
    from theory.concept_mixture import persona_mixture

    truth = np.array([0, 1, 1, 0])
    p = persona_mixture(truth, {"truth": (truth, 0.1, 0.75), "negation": (1 - truth, 0.2, 0.25)})
    assert p.w.tolist() == [0.75, 0.25] and p.names == ("truth", "negation")


@pytest.mark.parametrize("shape", [(2, 0), (0, 4)])
def test_concept_mixture_rejects_empty_shapes(shape):
    from theory import ConceptMixture

    with pytest.raises(ValueError, match="K >= 1, n >= 1"):
        ConceptMixture(F=np.zeros(shape, dtype=int), eps=[0.1] * max(shape[0], 1),
                       w=[1.0 / max(shape[0], 1)] * max(shape[0], 1))
