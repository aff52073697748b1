# Molecule database: standardise and deduplicate once, then fragment into mass-sorted shards of
# targets and decoys. Shared by every dataset.


rule prepare_db:
    input:
        config["database"]["inputs"],
    output:
        molecules=f"{RESULTS}/db/molecules.parquet",
        rejects=f"{RESULTS}/db/molecule_rejects.parquet",
        id_map=f"{RESULTS}/db/id_map.parquet",
    params:
        max_mass=config["database"]["max_mass"],
        code=code_version("fragment", "database"),
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
        " --max-mass {params.max_mass} --threads {threads} 2> {log:q}"


rule fragment:
    input:
        rules.prepare_db.output.molecules,
    output:
        directory(f"{RESULTS}/db/fragments"),
    params:
        max_bridges=config["database"]["max_bridges"],
        max_2cuts=config["database"]["max_2cuts"],
        decoy_seed=config["database"]["decoy_seed"],
        shard_width_da=config["database"]["shard_width_da"],
        extra=config["database"]["extra"],
        code=code_version("fragment", "fdr/decoys.py"),
    log:
        log_path("fragment"),
    benchmark:
        bench_path("fragment")
    threads: config["database"]["threads"]
    conda:
        "../envs/core.yaml"
    shell:
        "python -m specsweep fragment --molecules {input:q} --output-dir {output:q}"
        " --max-bridges {params.max_bridges} --max-2cuts {params.max_2cuts}"
        " --decoy-seed {params.decoy_seed} --shard-width-da {params.shard_width_da}"
        " --threads {threads} {params.extra} 2> {log:q}"
