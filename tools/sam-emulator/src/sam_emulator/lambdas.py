"""The template's functions, run in this process as the Lambda runtime would run each of them.

Each function gets its own module namespace: ``<CodeUri>/<handler module>.py`` is loaded with importlib
under a unique module name, so module-level state (resolvers, ``@cache``d services) never leaks from
one function to another, even when two functions share a CodeUri. A function's ``Layers`` (Globals'
and its own, as SAM merges them) are importable as ``/opt/python`` is in Lambda: each layer's
``ContentUri`` directory is put on ``sys.path`` while the function loads or runs (a directory already
on the path, through an editable install say, stays where it is). The template's ``Timeout`` drives
``get_remaining_time_in_millis``; overrunning it is logged, not killed.

The layers' own packages (whatever the template's ``ContentUri`` directories hold) are per function
too: in AWS every function has its own execution environment, so a cache in a layer (settings, boto3
clients) holds one function's view only. Here each function keeps its own copy of those modules and
has it in ``sys.modules`` while it loads or runs; other packages (third-party ones) are shared.

Environment: a function sees its template environment (Globals merged with its own, through
``Stack.function_environment``) and the variables the Lambda runtime sets, for the duration of each
invocation. ``os.environ`` belongs to the whole process, so invocations are serialised by one lock:
a slow request makes the next one wait, as a single warm execution environment per function would.
That is the price of never letting one function read another's environment.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from sam_emulator.environment import environment
from sam_emulator.template import Stack, logical_id_of

log = logging.getLogger("sam_emulator.lambdas")


@dataclass
class LambdaContext:
    """The context object the Python runtime passes as the handler's second argument."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: float
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def layer_packages(stack: Stack) -> frozenset[str]:
    """The top-level modules the template's layers hold (``ContentUri`` directories)."""
    names: set[str] = set()
    for spec in stack.of_type("AWS::Serverless::LayerVersion").values():
        content = stack.base_dir / str(stack.resolve(spec["Properties"]["ContentUri"]))
        for entry in content.iterdir() if content.is_dir() else ():
            if (entry.is_dir() and (entry / "__init__.py").exists()) or entry.suffix == ".py":
                names.add(entry.stem)
    return frozenset(names)


class LambdaFunction:
    """One ``AWS::Serverless::Function``: its code, configuration, environment and invocation count."""

    def __init__(
        self,
        stack: Stack,
        logical_id: str,
        lock: threading.RLock,
        *,
        layer: frozenset[str] = frozenset(),
    ) -> None:
        properties = stack.function_properties(logical_id)
        self.logical_id = logical_id
        self.name = stack.physical_name(logical_id)
        self.arn = stack.arn(logical_id)
        self.handler = str(properties.get("Handler", "app.lambda_handler"))
        self.code_dir = (stack.base_dir / str(stack.resolve(properties["CodeUri"]))).resolve()
        self.memory_mb = int(stack.resolve(properties.get("MemorySize", 128)))
        self.timeout_seconds = float(stack.resolve(properties.get("Timeout", 3)))
        self.runtime = str(stack.resolve(properties.get("Runtime", "python3.13")))
        self.environment = {**self._runtime_environment(stack.region), **stack.function_environment(logical_id)}
        self.invocations = 0
        self._lock = lock
        self._module: ModuleType | None = None
        self._module_name = f"sam_emulator_function_{logical_id}_{uuid.uuid4().hex[:8]}"
        self._layer_packages = layer
        self._layer_modules: dict[str, ModuleType] = {}
        self.layer_dirs = tuple(
            str((stack.base_dir / str(stack.resolve(stack.resources[name]["Properties"]["ContentUri"]))).resolve())
            for name in (logical_id_of(reference) for reference in properties.get("Layers", []) or [])
            if name in stack.of_type("AWS::Serverless::LayerVersion")
        )

    def _runtime_environment(self, region: str) -> dict[str, str]:
        """What the Lambda runtime (and ``sam local``) sets besides the template's variables."""
        return {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(self.timeout_seconds)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "LAMBDA_TASK_ROOT": str(self.code_dir),
            "_HANDLER": self.handler,
            # Powertools (like other libraries) treats this as "not in the cloud": no X-Ray segments.
            "AWS_SAM_LOCAL": "true",
        }

    @property
    def loaded(self) -> bool:
        return self._module is not None

    def load(self) -> ModuleType:
        """Import the handler's module (a cold start), under the function's environment and layer."""
        with self._lock:
            if self._module is None:
                with environment(self.environment), self._own_layer():
                    self._module = self._import()
            return self._module

    @contextmanager
    def _own_layer(self) -> Iterator[None]:
        """This function's copy of the layer's modules in ``sys.modules`` for the block; others' put aside.

        Its layers' directories are importable meanwhile, as ``/opt/python`` is in Lambda.
        """

        def in_layer(name: str) -> bool:
            return name.partition(".")[0] in self._layer_packages

        others = {name: module for name, module in list(sys.modules.items()) if in_layer(name)}
        for name in others:
            del sys.modules[name]
        sys.modules.update(self._layer_modules)
        added = [directory for directory in self.layer_dirs if directory not in sys.path]
        sys.path[:0] = added
        try:
            yield
        finally:
            for directory in added:
                sys.path.remove(directory)
            self._layer_modules = {name: module for name, module in list(sys.modules.items()) if in_layer(name)}
            for name in self._layer_modules:
                del sys.modules[name]
            sys.modules.update(others)

    def _import(self) -> ModuleType:
        module_file, _ = self.handler.rsplit(".", 1)
        path = self.code_dir / (module_file.replace(".", "/") + ".py")
        spec = importlib.util.spec_from_file_location(self._module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{self.logical_id}: no handler module at {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[self._module_name] = module  # pydantic resolves postponed annotations through sys.modules
        sys.path.insert(0, str(self.code_dir))  # sibling modules, as Lambda's task root is on the path
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(self._module_name, None)
            raise
        finally:
            sys.path.remove(str(self.code_dir))
        return module

    def unload(self) -> None:
        with self._lock:
            self._module = None
            self._layer_modules = {}
            sys.modules.pop(self._module_name, None)

    def invoke(self, event: Any) -> Any:
        """Run the handler on ``event``; its exception, if any, propagates as the invocation's error."""
        with self._lock:
            module = self.load()
            handler = getattr(module, self.handler.rsplit(".", 1)[1])
            context = LambdaContext(
                function_name=self.name,
                invoked_function_arn=self.arn,
                memory_limit_in_mb=self.memory_mb,
                timeout_seconds=self.timeout_seconds,
            )
            self.invocations += 1
            started = time.monotonic()
            with environment(self.environment), self._own_layer():
                try:
                    return handler(event, context)
                finally:
                    elapsed = time.monotonic() - started
                    if elapsed > self.timeout_seconds:
                        log.warning(
                            "%s ran %.1fs, over its %.0fs timeout", self.logical_id, elapsed, self.timeout_seconds
                        )


class Functions(Mapping[str, LambdaFunction]):
    """Every function of the template by logical id, sharing the one invocation lock."""

    def __init__(self, stack: Stack) -> None:
        self.lock = threading.RLock()
        layer = layer_packages(stack)
        self._functions = {
            logical_id: LambdaFunction(stack, logical_id, self.lock, layer=layer) for logical_id in stack.functions()
        }

    def __getitem__(self, logical_id: str) -> LambdaFunction:
        return self._functions[logical_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __len__(self) -> int:
        return len(self._functions)

    def warm(self) -> dict[str, BaseException]:
        """Load every function now (cold starts before the first request); returns the ones that failed."""
        failed: dict[str, BaseException] = {}
        for logical_id, function in self._functions.items():
            try:
                function.load()
            except Exception as error:  # an import error surfaces on every invocation, as in Lambda
                failed[logical_id] = error
        return failed

    def unload(self) -> None:
        for function in self._functions.values():
            function.unload()
