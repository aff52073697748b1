# De novo structures from spectra (transformer), re-ranked by the formula stage and the scoring
# model. The SLURM profile asks for a GPU (`gpu: 1`); without one the stage runs on the CPU.

rule train_translator:
    input:
        molecules=[config["translate"]["train"]["molecules"]] if config["translate"]["train"]["molecules"] else [],
        spectra=config["translate"]["train"]["spectra"],
        exclude=config["translate"]["train"]["exclude_spectra"],
        model=model_file(),
    output:
        LAYOUT.translator,
    params:
        molecules=lambda wc, input: optional_files("--molecules", input.molecules),
        spectra=lambda wc, input: optional_files("--spectra", input.spectra),
        exclude=lambda wc, input: optional_files("--exclude-spectra", input.exclude),
        options=config["translate"]["train"]["options"],
        code=code_version("train-translator"),
    log:
        log_path("train_translator"),
    benchmark:
        bench_path("train_translator")
    threads: config["translate"]["threads"]
    conda:
        "../envs/translate.yaml"
    shell:
        "python -m specsweep train-translator {params.molecules} {params.spectra} {params.exclude}"
        " --model {input.model:q} {params.options} --threads {threads} --output {output:q} 2> {log:q}"


rule translate:
    input:
        unpack(translate_inputs),
    output:
        translations=DS.translations,
        rejects=DS.translations_rejects,
    params:
        formulas=lambda wc, input: f"--formulas {shlex.quote(input.formulas)}" if "formulas" in input.keys() else "",
        options=dataset_stage_args("translate"),
        extra=config["translate"]["extra"],
        code=code_version("translate"),
    log:
        log_path("translate", "{dataset}"),
    benchmark:
        bench_path("translate", "{dataset}")
    threads: config["translate"]["threads"]
    conda:
        "../envs/translate.yaml"
    shell:
        "python -m specsweep translate --spectra {input.spectra:q} --checkpoint {input.ckpt:q}"
        " --model {input.model:q} {params.formulas} --output {output.translations:q}"
        " --rejects {output.rejects:q} --threads {threads} {params.options} {params.extra} 2> {log:q}"
