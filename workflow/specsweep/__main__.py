from specsweep.cli import main

raise SystemExit(main())
