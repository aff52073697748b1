"""Names of the null logRank distributions a model can be trained with (see
:mod:`specsweep.model.train` for what each counts); kept free of heavy imports so the CLI can
list them."""

NULL_KINDS = ("unrelated-parent", "unrelated", "peaks")
DEFAULT_NULL = "unrelated-parent"
