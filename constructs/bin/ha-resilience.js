#!/usr/bin/env node
// The package's command line: `ha-resilience report [cdk.out | template.json] [--json] [--output file]`.
// Plain JavaScript over the compiled report (lib/), so it runs with node alone. Source: report/cli.ts.
'use strict';
require('../lib/report/cli.js').main();
