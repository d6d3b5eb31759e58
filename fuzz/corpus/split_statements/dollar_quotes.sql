CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;
/* a /* b; */ c; */
SELECT $$;$$, $1;