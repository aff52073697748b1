# Molecule database: standardise and deduplicate once, then fragment into mass-sorted shards of
# targets and decoys. Shared by every dataset.


rule prepare_db:
    input:
        config["database"]["inputs"],
    output:
        molecules=LAYOUT.molecules,
        rejects=LAYOUT.molecule_rejects,
        id_map=LAYOUT.id_map,
    params:
        options=stage_args("prepare-db"),
        code=code_version("prepare-db"),
    log:
        log_path("prepare_db"),
    benchmark:
        bench_path("prepare_db")
    threads: config["database"]["threads"]
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep prepare-db --input {input:q} --output {output.molecules:q}"
        " --rejects {output.rejects:q} --id-map {output.id_map:q}"
        " {params.options} --threads {threads} 2> {log:q}"


rule fragment:
    input:
        rules.prepare_db.output.molecules,
    output:
        directory(LAYOUT.database),
    params:
        options=stage_args("fragment"),
        extra=config["database"]["extra"],
        code=code_version("fragment"),
    log:
        log_path("fragment"),
    benchmark:
        bench_path("fragment")
    threads: config["database"]["threads"]
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep fragment --molecules {input:q} --output-dir {output:q}"
        " {params.options} --threads {threads} {params.extra} 2> {log:q}"
