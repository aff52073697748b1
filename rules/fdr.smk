# Target-decoy competition and q-values over a whole dataset's rescored candidates; carries
# the rescore stage's PEP and PEP q-values into the identifications.


rule fdr:
    input:
        candidates=rules.rescore.output.rescored,
        spectra=rules.ingest.output,
        db=rules.fragment.output,
    output:
        identifications=DS.identifications,
        tsv=DS.identifications_tsv,
        summary=DS.fdr_summary,
    params:
        outdir=lambda wc, output: os.path.dirname(output.identifications),
        options=stage_args("fdr"),
        extra=config["fdr"]["extra"],
        code=code_version("fdr"),
    log:
        log_path("fdr", "{dataset}"),
    benchmark:
        bench_path("fdr", "{dataset}")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep fdr --candidates {input.candidates:q} --spectra {input.spectra:q}"
        " --db {input.db:q} --output-dir {params.outdir:q} {params.options} {params.extra} 2> {log:q}"


# Optional (config fdr.global): one FDR over every dataset of the run, for scheduled
# reprocessing of many datasets; the per-dataset FDR above is kept. Spectrum ids in its outputs
# are <dataset>/<spectrum_id>.
rule global_fdr:
    input:
        candidates=expand(rules.rescore.output.rescored, dataset=list(DATASETS)),
        spectra=expand(rules.ingest.output[0], dataset=list(DATASETS)),
        db=rules.fragment.output,
    output:
        identifications=LAYOUT.global_identifications,
        tsv=LAYOUT.global_identifications_tsv,
        summary=LAYOUT.global_fdr_summary,
    params:
        outdir=lambda wc, output: os.path.dirname(output.identifications),
        names=" ".join(shlex.quote(n) for n in DATASETS),
        options=stage_args("fdr"),
        extra=config["fdr"]["extra"],
        code=code_version("fdr"),
    log:
        log_path("global_fdr"),
    benchmark:
        bench_path("global_fdr")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep fdr --candidates {input.candidates:q} --spectra {input.spectra:q}"
        " --dataset-names {params.names} --db {input.db:q} --output-dir {params.outdir:q}"
        " {params.options} {params.extra} 2> {log:q}"
