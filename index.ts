// Entry point for `pulumi preview` / `pulumi up`: the stack outputs are the program's outputs.
import { program } from "./components/program";

export = program().outputs;
