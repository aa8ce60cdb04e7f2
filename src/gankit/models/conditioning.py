"""The conditioning registry: how class labels enter the networks, as facts the models read.

``model.conditioning`` names one entry of ``CONDITIONINGS``. An entry is a small record of what
the label path needs (does the model take labels at all, does the generator read a one-hot
input or a label embedding, does the discriminator need ``y``, a class head or a projection
embedding); :mod:`gankit.models.base` builds the layers from these facts instead of comparing
names, so every backbone supports every registered conditioning. The table of what each one
does is in that module's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

from gankit.registry import Registry


@dataclass(frozen=True)
class Conditioning:
    """How one conditioning feeds labels to G and D (all False: unconditional)."""

    name: str
    labelled: bool = False  # the networks are built for K classes and read y
    g_one_hot: bool = False  # G reads cat(z, one_hot(y)) (always, not only with label_input)
    g_embedding: bool = False  # G reads a learnt label embedding multiplied or concatenated to z
    g_conditional_bn: bool = False  # G's batch norms take per-class scale and shift
    d_one_hot: bool = False  # D's input gets K one-hot planes (conv) or features (MLP)
    d_class_head: bool = False  # D returns class logits beside the adversarial logit
    d_projection: bool = False  # D adds <embed(y), pooled features> to the adversarial logit

    @property
    def d_needs_labels(self) -> bool:
        """Whether D's forward must be given ``y`` (the class head predicts it instead)."""
        return self.d_one_hot or self.d_projection


CONDITIONINGS: Registry[Conditioning] = Registry("conditioning", key="model.conditioning")


def register_conditioning(entry: Conditioning) -> Conditioning:
    """Make ``entry`` selectable as ``model.conditioning: <entry.name>``."""
    return CONDITIONINGS.add(entry.name, entry)


def get_conditioning(name: str) -> Conditioning:
    """The registered conditioning ``name`` (one-sentence ``ConfigError`` when unknown)."""
    return CONDITIONINGS.get(name)


register_conditioning(Conditioning("none"))
register_conditioning(Conditioning("concat", labelled=True, g_one_hot=True, d_one_hot=True))
register_conditioning(Conditioning("acgan", labelled=True, g_embedding=True, d_class_head=True))
register_conditioning(
    Conditioning("projection", labelled=True, g_conditional_bn=True, d_projection=True)
)
