# Molecular formulas with fragmentation trees (SIRIUS-style): scattered over the dataset's spectra
# parts, like the search's work units. `ingest` is a checkpoint: once its parts exist, one
# `formula` job per group of `formula.parts_per_job` consecutive parts (one SLURM job each under
# profiles/slurm), then `formula_merge` joins their files in part order into formulas.parquet,
# byte-identical to one job over the whole dataset.

rule formula:
    input:
        spectra=formula_job_parts,
    output:
        temp(DS.formula_part("{job}")),
    params:
        **FORMULA_STAGE,
    log:
        LAYOUT.log("formula", "{dataset}/part-{job}"),
    benchmark:
        LAYOUT.benchmark("formula", "{dataset}/part-{job}")
    threads: config["formula"]["threads"]
    conda:
        "../envs/formula.yaml"
    shell:
        "python -m specsweep formula --spectra {input.spectra:q} --output {output:q} --threads {threads}"
        " {params.adducts} {params.options} {params.extra} 2> {log:q}"


rule formula_merge:
    input:
        formula_job_outputs,
    output:
        DS.formulas,
    params:
        # the parts' files are temporary: a changed formula knob must rerun the merge to redo them
        stage=formula_stage_record,
        code=code_version("formula-merge"),
    log:
        log_path("formula_merge", "{dataset}"),
    benchmark:
        bench_path("formula_merge", "{dataset}")
    conda:
        "../envs/formula.yaml"
    shell:
        "python -m specsweep formula-merge --inputs {input:q} --output {output:q} 2> {log:q}"
