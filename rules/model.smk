# logRank scoring model: the shipped default, a given file, or one trained on annotated spectra.


rule train_model:
    input:
        spectra=config["model"]["train_spectra"],
    output:
        LAYOUT.model,
    params:
        exclude=(
            f"--exclude-spectra {shlex.quote(config['model']['exclude_spectra'])}"
            if config["model"]["exclude_spectra"]
            else ""
        ),
        options=stage_args("train-model"),
        code=code_version("train-model"),
    log:
        log_path("train_model"),
    benchmark:
        bench_path("train_model")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep train-model --spectra {input.spectra:q} --output {output:q}"
        " {params.options} {params.exclude} 2> {log:q}"
