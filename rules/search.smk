# Database search of one dataset: an MPI job over (spectra part x database shard) work units.
# Locally the launcher is `mpiexec`; the SLURM profile sets `mpi: srun` (PMIx) for this rule.


rule search:
    input:
        spectra=rules.ingest.output,
        db=rules.fragment.output,
        model=model_file(),
    output:
        candidates=DS.candidates,
        summary=DS.candidates_summary,
        rejects=DS.candidates_rejects,
    params:
        adducts=adduct_option,
        options=dataset_stage_args("search"),
        extra=config["search"]["extra"],
        code=code_version("search"),
    log:
        log_path("search", "{dataset}"),
    benchmark:
        bench_path("search", "{dataset}")
    threads: config["search"]["tasks"]
    resources:
        tasks=config["search"]["tasks"],
        mpi=config["search"]["mpi"],
    conda:
        "../envs/search.yaml"
    shell:
        "{resources.mpi} -n {resources.tasks} python -m specsweep search"
        " --spectra {input.spectra:q} --db {input.db:q} --model {input.model:q}"
        " --output {output.candidates:q} --summary {output.summary:q} --rejects {output.rejects:q}"
        " --mpi on {params.options} {params.adducts} {params.extra} 2> {log:q}"
