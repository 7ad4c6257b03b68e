// Entry point for `pulumi preview` / `pulumi up`: the runtime calls the exported function and
// exports what it resolves to. It is async so production's promotion gate can read staging's
// outputs, and refuse, before any resource is registered.
import { deploy } from "./components/program";

export = () => deploy();
