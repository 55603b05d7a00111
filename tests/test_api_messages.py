"""A wrong argument at the API's edge raises ValueError naming the argument and what it accepts
(not a numpy broadcast error, a ufunc TypeError or an AttributeError from deep inside)."""
from __future__ import annotations

import numpy as np
import pytest

from simulations.search import run_search
from simulations.search.debate import debate_prior
from theory import (ConceptMixture, GaussianBehaviour, TablePrior, coherence, description_length, entropy,
                    log_coherence_table, log_partition, log_softmax_coherence, order_averaged_coherence,
                    prequential_codelength, pseudo_likelihood, signed_logodds, srm_objective, two_part_codelength,
                    leave_p_out_score)
from theory import validation as V
from theory.arithmetic_coder import encode
from theory.coordinate_ascent import bootstrap_sequential, loo_argmax, sweep_map
from theory.markov import gibbs_matrix, transition_matrix
from theory.misspecification import misspecification_kl, reweight, temper

F = np.array([[0, 1, 0], [1, 0, 1]])


@pytest.fixture(scope="module")
def prior():
    return ConceptMixture(F=F, eps=[0.1, 0.2], w=[0.5, 0.5])


@pytest.mark.parametrize("build, match", [
    (lambda: ConceptMixture(F=F, eps=[0.1, 0.2, 0.3], w=[0.5, 0.5]),
     r"eps must be a scalar or have shape \(2,\) \(one noise level per concept\), got shape \(3,\)"),
    (lambda: ConceptMixture(F=F, eps=np.full((2, 2), 0.1), w=[0.5, 0.5]), r"eps must be a scalar or have shape \(2,\)"),
    (lambda: debate_prior([0.5, 0.5], [0.1, 0.2, 0.3], 3),
     r"eps must be a scalar or have shape \(2,\) \(one noise level per answer\)"),
    (lambda: ConceptMixture(F=F, eps="noisy", w=[0.5, 0.5]), "eps must be a number or an array of numbers"),
    (lambda: ConceptMixture(F=[["a", "b", "a"]], eps=[0.1], w=[1.0]),
     r"F must hold integer behaviour indices in \[0, 1\], got entries of type <U1"),
    (lambda: ConceptMixture(F=np.array([[0, None, 1]], dtype=object), eps=[0.1], w=[1.0]),
     r"F must hold integer behaviour indices in \[0, 1\]"),
    (lambda: debate_prior("ab", 0.1, 3), "weights must be a number or an array of numbers"),
], ids=["eps-length", "eps-2d", "debate-eps-length", "eps-word", "F-strings", "F-None", "debate-weights-word"])
def test_bad_parameters_name_the_argument(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_string_behaviours_name_B(prior):
    with pytest.raises(ValueError, match=r"B must hold integer behaviour indices in \[0, 1\]"):
        prior.log_joint(np.array(["0", "1", "0"]))


@pytest.mark.parametrize("seed", [-1, -(2**40), 1.5, 2.0, True, "3", None])
def test_run_search_seed_must_be_a_non_negative_integer(prior, seed):
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0 \(accepted range \[0, inf\)\), got "):
        run_search("gibbs", prior, seed=seed, sweeps=1)


NOT_PRIORS = [object(), None, 3, "prior", {"n": 3, "k": 2}, np.zeros((2, 3)),
              GaussianBehaviour(np.zeros(2), np.eye(2))]          # continuous: n but no k
NOT_PRIOR_IDS = ["object", "None", "int", "str", "dict", "array", "gaussian"]


@pytest.mark.parametrize("model", NOT_PRIORS, ids=NOT_PRIOR_IDS)
def test_run_search_needs_a_prior(model):
    with pytest.raises(ValueError, match=r"model must be a pretrained prior \(a theory\.prior\.Prior: integer n >= 1, "
                                         r"integer k >= 2 and method log_conditional\), got "):
        run_search("gibbs", model)


B0 = np.zeros(3, dtype=np.int64)
FUNCTIONALS = {
    "coherence": lambda p: coherence(p, B0),
    "description_length": lambda p: description_length(p, B0),
    "prequential_codelength": lambda p: prequential_codelength(p, B0),
    "order_averaged_coherence": lambda p: order_averaged_coherence(p, B0),
    "pseudo_likelihood": lambda p: pseudo_likelihood(p, B0),
    "signed_logodds": lambda p: signed_logodds(p, B0),
    "two_part_codelength": lambda p: two_part_codelength(p, B0),
    "leave_p_out_score": lambda p: leave_p_out_score(p, B0, 1),
    "log_coherence_table": lambda p: log_coherence_table(p),
    "log_partition": lambda p: log_partition(p),
    "log_softmax_coherence": lambda p: log_softmax_coherence(p),
    "srm_objective": lambda p: srm_objective(p, B0, [0], [1], 1.0),
    "TablePrior.from_prior": lambda p: TablePrior.from_prior(p),
    "entropy": lambda p: entropy(p),
    "loo_argmax": lambda p: loo_argmax(p, B0),
    "bootstrap_sequential": lambda p: bootstrap_sequential(p, B0),
    "sweep_map": lambda p: sweep_map(p),
    "gibbs_matrix": lambda p: gibbs_matrix(p),
    "encode": lambda p: encode(p, B0),
    "temper": lambda p: temper(p, 2.0),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONALS))
@pytest.mark.parametrize("model", NOT_PRIORS[:3], ids=NOT_PRIOR_IDS[:3])
def test_functionals_need_a_prior(name, model):
    argument = "p" if name == "temper" else "prior"
    with pytest.raises(ValueError, match=rf"^{argument} must be a pretrained prior \(a theory\.prior\.Prior: "):
        FUNCTIONALS[name](model)


def test_other_prior_arguments_are_named():
    with pytest.raises(ValueError, match=r"^model must be a pretrained prior"):
        transition_matrix(object())
    with pytest.raises(ValueError, match=r"^p_model must be a pretrained prior"):
        misspecification_kl(ConceptMixture(F=F, eps=[0.1, 0.2], w=[0.5, 0.5]), object())
    with pytest.raises(ValueError, match=r"^p must be a ConceptMixture"):
        reweight(TablePrior(np.zeros(8), 3), [1.0])


class ProtocolOnly:
    """Follows the :class:`theory.prior.Prior` protocol without inheriting from it."""

    n, k = np.int64(3), 2

    def log_conditional(self, B, i, demos):
        return np.log(np.full(np.shape(B)[:-1] + (2,), 0.5))


def test_what_is_accepted_still_runs(prior):
    assert V.prior("model", ProtocolOnly()).n == 3
    assert run_search("gibbs", prior, seed=np.int64(7), sweeps=1).behaviours.shape == (3,)
    np.testing.assert_array_equal(ConceptMixture(F=F, eps=0.1, w=[0.5, 0.5]).eps, [0.1, 0.1])
    obj = ConceptMixture(F=np.array([[0, 1, 1]], dtype=object), eps=[0.1], w=[1.0])
    assert obj.F.dtype == np.int64 and obj.F.tolist() == [[0, 1, 1]]
    np.testing.assert_array_equal(debate_prior([1, 3], 0.2, 3).eps, [0.2, 0.2])
