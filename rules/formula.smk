# Molecular formulas with fragmentation trees (SIRIUS-style), per dataset.


rule formula:
    input:
        spectra=rules.ingest.output,
    output:
        DS.formulas,
    params:
        adducts=adduct_option,
        options=dataset_stage_args("formula"),
        extra=config["formula"]["extra"],
        code=code_version("formula"),
    log:
        log_path("formula", "{dataset}"),
    benchmark:
        bench_path("formula", "{dataset}")
    threads: config["formula"]["threads"]
    conda:
        "../envs/formula.yaml"
    shell:
        "python -m specsweep formula --spectra {input.spectra:q} --output {output:q} --threads {threads}"
        " {params.adducts} {params.options} {params.extra} 2> {log:q}"
