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
        extra=config["fdr"]["extra"],
        code=code_version("fdr", "rescore"),
    log:
        log_path("fdr", "{dataset}"),
    benchmark:
        bench_path("fdr", "{dataset}")
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep fdr --candidates {input.candidates:q} --spectra {input.spectra:q}"
        " --db {input.db:q} --output-dir {params.outdir:q} {params.extra} 2> {log:q}"
