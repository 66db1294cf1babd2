-- Roles and database for IdeaMine's own store in docker-compose (the embedded default makes these itself).
CREATE ROLE ideamine_owner LOGIN PASSWORD 'ideamine_owner' CREATEROLE;
CREATE ROLE ideamine_app LOGIN PASSWORD 'ideamine_app';
GRANT ideamine_app TO ideamine_owner WITH ADMIN OPTION;
CREATE DATABASE ideamine OWNER ideamine_owner;
