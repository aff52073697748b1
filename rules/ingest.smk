# Spectra files of one dataset into fixed-size Parquet parts (plus rejects and a manifest). A
# checkpoint: the formula stage is scattered over the parts it writes (rules/formula.smk).


checkpoint ingest:
    input:
        dataset_files,
    output:
        directory(DS.spectra),
    params:
        ion_mode=lambda wc: DATASETS[wc.dataset]["ion_mode"],
        options=stage_args("ingest"),
        extra=config["ingest"]["extra"],
        code=code_version("ingest"),
    log:
        log_path("ingest", "{dataset}"),
    benchmark:
        bench_path("ingest", "{dataset}")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep ingest --input {input:q} --output-dir {output:q}"
        " {params.options} --default-ion-mode {params.ion_mode}"
        " {params.extra} 2> {log:q}"
