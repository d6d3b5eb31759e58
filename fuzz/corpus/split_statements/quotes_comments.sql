SELECT 'a;b', "c;d"; -- x; y
/* z; */ SELECT 2;
SELECT 3