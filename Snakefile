# specsweep: identify small molecules in tandem mass spectra, from molecule and spectra files to
# identifications with FDR, molecular formulas, de novo structures and an HTML report.
#
#   snakemake --profile profiles/local --cores 2          # one machine
#   snakemake --profile profiles/slurm                    # a SLURM cluster (edit the profile first)
#
# Configuration: config/config.yaml (keys, meanings and defaults in
# workflow/schemas/config.schema.yaml) and the dataset sheet config/datasets.tsv; a small test
# configuration in .test/ (snakemake --directory .test ...). See docs/workflow.md.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "rules/common.smk"
include: "rules/database.smk"
include: "rules/model.smk"
include: "rules/ingest.smk"
include: "rules/search.smk"
include: "rules/rescore.smk"
include: "rules/fdr.smk"
include: "rules/formula.smk"
include: "rules/translate.smk"
include: "rules/report.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
