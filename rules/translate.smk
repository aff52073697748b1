# De novo structures from spectra (transformer), re-ranked by the formula stage and the scoring
# model. The SLURM profile asks for a GPU (`gpu: 1`); without one the stage runs on the CPU.

rule train_translator:
    output:
        f"{RESULTS}/model/translator.pt",
    params:
        options=config["translate"]["train_options"],
        code=code_version("translate"),
    log:
        log_path("train_translator"),
    benchmark:
        bench_path("train_translator")
    threads: 2
    conda:
        "../envs/translate.yaml"
    shell:
        "python -m specsweep train-translator {params.options} --output {output:q} 2> {log:q}"

rule translate:
    input:
        unpack(translate_inputs),
    output:
        f"{DS}/translations.parquet",
    params:
        formulas=lambda wc, input: f"--formulas {shlex.quote(input.formulas)}" if "formulas" in input.keys() else "",
        extra=config["translate"]["extra"],
        code=code_version("translate", "fragment", "model"),
    log:
        log_path("translate", "{dataset}"),
    benchmark:
        bench_path("translate", "{dataset}")
    threads: 2
    conda:
        "../envs/translate.yaml"
    shell:
        "python -m specsweep translate --spectra {input.spectra:q} --checkpoint {input.ckpt:q}"
        " --model {input.model:q} {params.formulas} --output {output:q} {params.extra} 2> {log:q}"
