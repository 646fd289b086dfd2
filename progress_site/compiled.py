"""Hot-path queries, built and compiled to SQL once per process.

Building a queryset and compiling it to SQL costs the app 0.3 to 4 ms of CPU here, two
to twenty-five times what sending it and reading the answer costs (docs/performance.md).
For the few statements every "Complete lesson" runs, whose shape never changes,
`compiled` does that work once per process and database, with placeholders for the
arguments (ids, slugs, moments), and each call only runs the SQL it kept. Reads are
querysets; the writes are `Insert` and `Update`, the statements `Model.save()` and
`QuerySet.update()` would send. Like `QuerySet.update()`, they send no model signals.
`query.statement(**arguments)` is one call not sent yet: `run_together` sends several
in one round trip (the completion sends two: its lock and reads, then its writes and
the achievement check).

On PostgreSQL the SQL is also prepared, once per connection (`PREPARE`, then `EXECUTE`
with the arguments): planning these statements was about half of the database's CPU for
a completion, the achievement check's most of all. The first time a connection needs
one, it prepares them all, in one round trip. A prepared statement lives as long as
its connection, so a pooler that hands one session's connection to another between
transactions (PgBouncer in transaction mode) needs `PREPARE_STATEMENTS=0`; Django's
persistent connections and its psycopg pool keep them (docs/deployment.md). A migration
that changes a column these statements return makes PostgreSQL refuse them ("cached plan
must not change result type") until the connection is replaced: restart or reload the
app servers after such a migration, as a deployment does.

The statement is still written with the ORM, so it follows the models; the build function
must depend on its arguments alone (nothing read from settings, the clock or the
database), since it runs only once, where it is decorated.
"""

import itertools
import re
import weakref
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FETCH_ONE, Expression, Field, Model, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler
from psycopg import ClientCursor


@dataclass(frozen=True, eq=False)
class _Argument:
    """Stands for one argument in the compiled SQL's parameters until a call fills it in."""

    name: str
    field: Field


class _Placeholder(Expression):
    """An argument in the queryset: compiles to one parameter, as a plain value would."""

    def __init__(self, argument: _Argument) -> None:
        super().__init__(output_field=argument.field)
        self.argument = argument

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple]:
        return "%s", (self.argument,)


class Insert:
    """A new row, as `Model.save()` would insert it: every field is written as given
    (auto_now_add does not stamp a placeholder at compile time)."""

    def __init__(self, instance: Model) -> None:
        self.instance = instance

    def as_sql(self, alias: str) -> tuple[str, tuple]:
        opts = type(self.instance)._meta
        fields = [f for f in opts.local_concrete_fields if f is not opts.auto_field]
        query = InsertQuery(type(self.instance))
        query.insert_values(fields, [self.instance], raw=True)
        [(sql, params)] = query.get_compiler(alias).as_sql()
        return sql, tuple(params)


class Update:
    """`queryset.update(**values)`, as a statement to compile."""

    def __init__(self, queryset: QuerySet, **values: Any) -> None:
        self.queryset = queryset
        self.values = values

    def as_sql(self, alias: str) -> tuple[str, tuple]:
        query = self.queryset.query.chain(UpdateQuery)
        query.add_update_values(self.values)
        sql, params = query.get_compiler(alias).as_sql()
        return sql, tuple(params)


@dataclass(frozen=True)
class _Reader:
    """Turns a compiled queryset's rows into model instances, as its ModelIterable does
    for one model (no select_related, no prefetching, the default fetch mode), from what
    its compiler worked out once (column order, converters); a raw queryset works it out
    again on every call: half the CPU of reading one progress row."""

    model: type[Model]
    attnames: list[str]
    model_columns: slice
    annotations: dict[str, int]
    converters: list[tuple[int, list, Expression]]

    @classmethod
    def of(cls, compiler: SQLCompiler) -> "_Reader":
        columns = [column for column, _, _ in compiler.select]
        fields = compiler.klass_info["select_fields"]
        model_columns = slice(fields[0], fields[-1] + 1)
        return cls(
            model=compiler.klass_info["model"],
            attnames=[column.target.attname for column in columns[model_columns]],
            model_columns=model_columns,
            annotations=dict(compiler.annotation_col_map),
            converters=[
                (position, converters, expression)
                for position, (converters, expression) in compiler.get_converters(columns).items()
            ],
        )

    def instances(self, rows: list[tuple]) -> list[Model]:
        result = []
        for row in rows:
            if self.converters:
                row = list(row)
                for position, converters, expression in self.converters:
                    for convert in converters:
                        row[position] = convert(row[position], expression, connection)
            instance = self.model.from_db(connection.alias, self.attnames, row[self.model_columns])
            for name, position in self.annotations.items():
                setattr(instance, name, row[position])
            result.append(instance)
        return result


@dataclass(frozen=True)
class _Prepared:
    """A statement prepared on PostgreSQL: what creates it, and what runs it."""

    name: str
    prepare: str
    execute: str  # takes the arguments in the order the decorator names them


# The statements each PostgreSQL connection has prepared; a new connection has none.
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_names = itertools.count(1)
_every_query: weakref.WeakSet["CompiledQuery"] = weakref.WeakSet()


class CompiledQuery[M: Model]:
    def __init__(
        self, build: Callable[..., QuerySet[M] | Insert | Update], fields: dict[str, Field]
    ) -> None:
        # Built here, once; each database it runs on compiles it on first use.
        self._built = build(
            **{name: _Placeholder(_Argument(name, field)) for name, field in fields.items()}
        )
        self._fields = fields
        self._refuse_what_the_reader_cannot_do()
        self._readers: dict[str, _Reader] = {}
        self._sql: dict[str, tuple[str, tuple] | _Prepared] = {}
        # Unique in the process, and says in PostgreSQL's logs which query this is.
        words = re.sub(r"\W", "", build.__name__.lower()).strip("_")[:40] or "statement"
        self._name = f"{words}_{next(_names)}"
        _every_query.add(self)

    def _refuse_what_the_reader_cannot_do(self) -> None:
        """At decoration, not at first use: `_Reader` makes instances as ModelIterable
        does for one model in the default fetch mode, and nothing more."""
        statement = self._built
        if isinstance(statement, QuerySet) and (
            statement.query.select_related
            or statement._prefetch_related_lookups
            or statement._fetch_mode is not FETCH_ONE
        ):
            raise ValueError(
                "compiled querysets read one model: no select_related(), prefetch_related()"
                " or fetch_mode()"
            )

    def _compile(self) -> tuple[str, tuple] | _Prepared:
        statement = self._built
        # A lock (select_for_update) compiles only inside an atomic block, as it will run;
        # nothing else enters one (on SQLite that would take the write lock).
        locks = isinstance(statement, QuerySet) and statement.query.select_for_update
        with (
            transaction.atomic(using=connection.alias, savepoint=False) if locks else nullcontext()
        ):
            if isinstance(statement, QuerySet):
                compiler = statement.query.get_compiler(connection.alias)
                sql, params = compiler.as_sql()
                if compiler.klass_info is not None:  # model instances, not values()
                    self._readers[connection.alias] = _Reader.of(compiler)
            else:
                sql, params = statement.as_sql(connection.alias)
        if _preparing():
            return self._prepared(sql, tuple(params))
        return sql, tuple(params)

    def _prepared(self, sql: str, params: tuple) -> _Prepared:
        """The PREPARE for this SQL: each argument becomes $1, $2… of its declared type
        (once, however often it occurs); every other parameter, a constant the queryset
        holds, is written into the statement."""
        names = list(self._fields)
        params_left = iter(params)

        def placeholder(match: re.Match) -> str:
            if match[0] == "%%":
                return "%"
            param = next(params_left)
            if isinstance(param, _Argument):
                return f"${names.index(param.name) + 1}"
            return connection.ops.compose_sql("%s", [param])

        body = re.sub(r"%[s%]", placeholder, sql)
        # No parentheses at all without arguments: "()" is a syntax error there.
        types = ", ".join(self._fields[name].cast_db_type(connection) for name in names)
        values = ", ".join(["%s"] * len(names))
        return _Prepared(
            name=self._name,
            prepare=f"PREPARE {self._name}{f' ({types})' if names else ''} AS {body}",
            execute=f"EXECUTE {self._name}{f' ({values})' if names else ''}",
        )

    def _compiled(self) -> tuple[str, tuple] | _Prepared:
        compiled = self._sql.get(connection.alias)
        if compiled is None:
            compiled = self._sql[connection.alias] = self._compile()
        return compiled

    def _statement(self, arguments: dict[str, Any]) -> tuple[str, list]:
        if arguments.keys() != self._fields.keys():
            raise TypeError(
                f"Expected the arguments {sorted(self._fields)}, got {sorted(arguments)}"
            )
        compiled = self._compiled()
        if isinstance(compiled, _Prepared):
            connection.ensure_connection()
            if compiled.name not in _prepared_on.get(connection.connection, ()):
                prepare_every_statement()
            return compiled.execute, [
                self._fields[name].get_db_prep_value(arguments[name], connection)
                for name in self._fields
            ]
        sql, params = compiled
        return sql, [
            # What the ORM does to a lookup's value: the field adapts it for the database.
            p.field.get_db_prep_value(arguments[p.name], connection)
            if isinstance(p, _Argument)
            else p
            for p in params
        ]

    def statement(self, **arguments: Any) -> "Statement[Result]":
        """This statement with these arguments, to run alone (`.run()`) or with others
        (`run_together`)."""
        sql, params = self._statement(arguments)
        return Statement(sql, params, _as_is)

    def instances(self, rows: list[tuple]) -> list[M]:
        """The rows as model instances, as the queryset would make them: the database's
        values are converted, unselected fields are deferred, annotations become
        attributes."""
        return self._readers[connection.alias].instances(rows)

    def objects(self, **arguments: Any) -> list[M]:
        return self.instances(self.rows(**arguments))

    def rows(self, **arguments: Any) -> list[tuple]:
        """The rows as the database driver returns them, unconverted: for ids, text and
        numbers (SQLite answers 0 or 1 for a boolean, text for a moment)."""
        return self.statement(**arguments).run().rows


@dataclass(frozen=True)
class Result:
    """One statement's answer: its rows as the driver returns them (none for a write),
    and for a write how many rows it wrote."""

    rows: list[tuple]
    rowcount: int


def _as_is(result: Result) -> Result:
    return result


@dataclass(frozen=True)
class Statement[T]:
    """A compiled statement with its arguments, not sent yet, and what its answer means
    to the caller (`then`)."""

    sql: str
    params: list
    answer: Callable[[Result], T]

    def then[U](self, meaning: Callable[[T], U]) -> "Statement[U]":
        answer = self.answer
        return Statement(self.sql, self.params, lambda result: meaning(answer(result)))

    def run(self) -> T:
        (answer,) = run_together(self)
        return answer


def run_together(*statements: Statement) -> list:
    """Run the statements in order; their answers, in the same order.

    On PostgreSQL they travel in one round trip, as one query string: a round trip costs
    the app and the database more CPU than running one of these statements does. Each
    is still a statement of its own, run once the one before it has finished, with a
    snapshot of its own (READ COMMITTED): a read sent after a lock sees what the lock's
    last holder committed. An error stops the rest. Elsewhere they run one by one.

    Send writes together inside a transaction only: outside one, PostgreSQL commits the
    whole string at once, where SQLite commits each statement. Several statements in one
    string need client-side binding, Django's default with psycopg; with
    `server_side_binding` they are sent one by one.
    """
    results = []
    with connection.cursor() as cursor:
        if len(statements) > 1 and isinstance(cursor.cursor, ClientCursor):
            cursor.execute(
                ";\n".join(s.sql for s in statements), [p for s in statements for p in s.params]
            )
            results.append(_result(cursor))
            while cursor.nextset():
                results.append(_result(cursor))
        else:
            for statement in statements:
                cursor.execute(statement.sql, statement.params)
                results.append(_result(cursor))
    return [s.answer(result) for s, result in zip(statements, results, strict=True)]


def _result(cursor: Any) -> Result:
    rows = cursor.fetchall() if cursor.description is not None else []
    return Result(rows, cursor.rowcount)


def _preparing() -> bool:
    return connection.vendor == "postgresql" and settings.PREPARE_STATEMENTS


def prepare_every_statement() -> None:
    """On PostgreSQL, prepare every compiled statement this connection has not prepared
    yet, in one round trip; elsewhere, nothing. Statements prepare themselves when first
    needed; query-count tests call this first, to count what a warm connection sends.

    What the connection holds is asked of the server before preparing: a batch that
    failed part way (a lock timeout during a migration) leaves the statements before
    the failure prepared, and they must not be prepared twice.
    """
    if not _preparing():
        return
    connection.ensure_connection()
    statements = [
        statement
        for statement in (query._compiled() for query in list(_every_query))
        # (A statement compiled while preparing was off stays plain SQL.)
        if isinstance(statement, _Prepared)
    ]
    if all(s.name in _prepared_on.get(connection.connection, ()) for s in statements):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        done = _prepared_on[connection.connection] = {name for (name,) in cursor.fetchall()}
        missing = [statement for statement in statements if statement.name not in done]
        if missing:
            cursor.execute(";\n".join(statement.prepare for statement in missing))
            done.update(statement.name for statement in missing)


def compiled[M: Model](
    **fields: Field,
) -> Callable[[Callable[..., QuerySet[M] | Insert | Update]], CompiledQuery[M]]:
    """Decorate a function that builds a queryset, an `Insert` or an `Update` from keyword
    arguments, one per field.

    The field says what each argument is (`user_id=IntegerField()`), so a call's values
    are adapted for the database as a lookup's would be.
    """

    def decorate(build: Callable[..., QuerySet[M] | Insert | Update]) -> CompiledQuery[M]:
        return CompiledQuery(build, fields)

    return decorate
