"""The mathematics: pretrained priors with exact answers, coherence, codelengths and objectives.

Data flows prior -> objective -> search -> result -> figure; this package holds the first two
and never imports :mod:`simulations`. All log quantities are natural logs (nats).
"""
from .prior import Prior, JointPrior
from .concept_mixture import ConceptMixture, persona_mixture, standard_concepts
from .dirichlet_multinomial import DirichletMultinomial
from .gaussian import GaussianBehaviour, ProbitGP, rbf_kernel
from .in_context import InContextSimulator
from .table import TablePrior
from .enumeration import all_behaviours, encode, decode
from .codelength import (coherence, description_length, order_averaged_coherence, pseudo_likelihood,
                         signed_logodds, prequential_codelength, two_part_codelength, leave_p_out_score,
                         to_bits)
from .softmax import log_coherence_table, log_partition, log_softmax_coherence
from .srm import srm_objective, map_lambda, label_loss
from .divergence import kl_divergence, entropy, cross_entropy

__all__ = [
    "Prior", "JointPrior", "ConceptMixture", "persona_mixture", "standard_concepts",
    "DirichletMultinomial", "GaussianBehaviour", "ProbitGP", "rbf_kernel", "InContextSimulator",
    "TablePrior", "all_behaviours", "encode", "decode", "coherence", "description_length",
    "order_averaged_coherence", "pseudo_likelihood", "signed_logodds", "prequential_codelength",
    "two_part_codelength", "leave_p_out_score", "to_bits", "log_coherence_table", "log_partition",
    "log_softmax_coherence", "srm_objective", "map_lambda", "label_loss", "kl_divergence", "entropy",
    "cross_entropy",
]
