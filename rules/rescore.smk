# Evidence rescoring of one dataset's candidates: re-ranked lists, PEP and PEP q-values; with a
# model that reads them (rules/common.smk, rescorer_file), the formula stage's results too.


rule rescore:
    input:
        unpack(rescore_inputs),
    output:
        rescored=DS.rescored,
        summary=DS.rescored_summary,
    params:
        formulas=lambda wildcards, input: f"--formulas {shlex.quote(input.formulas)}" if "formulas" in input.keys() else "",
        extra=config["rescore"]["extra"],
        code=code_version("rescore"),
    log:
        log_path("rescore", "{dataset}"),
    benchmark:
        bench_path("rescore", "{dataset}")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep rescore --candidates {input.candidates:q} --spectra {input.spectra:q}"
        " --model {input.model:q} --negative-model {input.negative_model:q} --search-summary {input.search_summary:q}"
        " --output {output.rescored:q} --summary {output.summary:q} {params.formulas}"
        " {params.extra} 2> {log:q}"
