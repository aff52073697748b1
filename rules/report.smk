# The self-contained HTML report over every dataset in the sheet.


rule report:
    input:
        [out for name in DATASETS for out in dataset_outputs(name)],
        spectra=[LAYOUT.dataset(name).spectra for name in DATASETS],
        db=rules.fragment.output,
    output:
        LAYOUT.report,
    params:
        results=lambda wc, output: os.path.dirname(output[0]),
        datasets=list(DATASETS),
        options=stage_args("report"),
        code=code_version("report"),
    log:
        log_path("report"),
    benchmark:
        bench_path("report")
    conda:
        "../envs/report.yaml"
    shell:
        "python -m specsweep report --results-dir {params.results:q} --output {output:q}"
        " --datasets {params.datasets:q} {params.options} 2> {log:q}"
