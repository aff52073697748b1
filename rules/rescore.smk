# Evidence rescoring of one dataset's candidates: re-ranked lists, PEP and PEP q-values.


rule rescore:
    input:
        candidates=rules.search.output.candidates,
        search_summary=rules.search.output.summary,
        spectra=rules.ingest.output,
        model=rescorer_file("positive"),
        negative_model=rescorer_file("negative"),
    output:
        rescored=DS.rescored,
        summary=DS.rescored_summary,
    params:
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
        " --output {output.rescored:q} --summary {output.summary:q}"
        " {params.extra} 2> {log:q}"
